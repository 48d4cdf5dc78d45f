/** A counting semaphore: at most `limit` holders at once; the others wait in arrival order. */
export interface Semaphore {
  acquire(): Promise<() => void>;
  readonly inUse: number;
  readonly waiting: number;
}

export function createSemaphore(limit: number): Semaphore {
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`semaphore limit must be a positive integer, got ${limit}`);
  let inUse = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    const next = queue.shift();
    if (next) next();
    else inUse -= 1;
  };
  return {
    async acquire() {
      if (inUse < limit) inUse += 1;
      else await new Promise<void>((resolve) => queue.push(resolve));
      let released = false;
      return () => {
        if (released) return;
        released = true;
        release();
      };
    },
    get inUse() {
      return inUse;
    },
    get waiting() {
      return queue.length;
    },
  };
}
