/** Filled in by the prompts service. */
export {};
