/** Filled in by the files service. */
export {};
