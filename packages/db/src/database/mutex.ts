/** A first-come, first-served async lock. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private holders = 0;

  get locked(): boolean {
    return this.holders > 0;
  }

  /** Resolves once the lock is held; call the returned function to let the next waiter in. */
  async acquire(): Promise<() => void> {
    this.holders++;
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holders--;
      release();
    };
  }

  /** Resolves when nobody holds or waits for the lock. */
  async idle(): Promise<void> {
    while (this.holders > 0) await this.tail;
  }
}
