/** Filled in by the queues service. */
export {};
