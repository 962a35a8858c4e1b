/** Filled in by the activities service. */
export {};
