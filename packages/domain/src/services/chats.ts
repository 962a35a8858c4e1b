/** Filled in by the chats service. */
export {};
