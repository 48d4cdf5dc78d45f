import { describe, expect, it } from 'vitest';
import { type BatchResult, createBatcher } from './batcher.js';

/** A batch runner that records its batches and answers when told to. */
function recorder<I>(answer: (item: I) => BatchResult<string>) {
  const batches: I[][] = [];
  const gates: (() => void)[] = [];
  return {
    batches,
    /** Lets the oldest running batch finish. */
    release: () => gates.shift()?.(),
    run: (items: readonly I[]) => {
      batches.push([...items]);
      return new Promise<BatchResult<string>[]>((resolve) => {
        gates.push(() => resolve(items.map(answer)));
      });
    },
  };
}

/** Lets pending callbacks run: the batcher sends at the end of a turn, after its promise callbacks. */
const tick = async () => {
  for (let turn = 0; turn < 3; turn += 1) await new Promise((resolve) => setImmediate(resolve));
};

describe('createBatcher', () => {
  it('sends the items asked for in one turn of the event loop as one batch, each caller getting its own result', async () => {
    const runner = recorder<number>((n) => ({ ok: true, value: `r${n}` }));
    const load = createBatcher({ run: runner.run, maxBatch: 10, maxInFlight: 1 });
    const results = Promise.all([load(1), load(2), load(3)]);
    await tick();
    expect(runner.batches).toEqual([[1, 2, 3]]);
    runner.release();
    expect(await results).toEqual(['r1', 'r2', 'r3']);
  });

  it('holds new items while maxInFlight batches run and sends them together when one ends, at most maxBatch at a time', async () => {
    const runner = recorder<number>((n) => ({ ok: true, value: `r${n}` }));
    const load = createBatcher({ run: runner.run, maxBatch: 2, maxInFlight: 1 });
    const first = load(1);
    await tick();
    const later = [load(2), load(3), load(4)];
    await tick();
    expect(runner.batches).toEqual([[1]]);
    runner.release();
    expect(await first).toBe('r1');
    await tick();
    expect(runner.batches).toEqual([[1], [2, 3]]);
    runner.release();
    await tick();
    expect(runner.batches).toEqual([[1], [2, 3], [4]]);
    runner.release();
    expect(await Promise.all(later)).toEqual(['r2', 'r3', 'r4']);
  });

  it('fails only the item whose result is an error, and every item of a batch that was rejected', async () => {
    const runner = recorder<number>((n) =>
      n === 2 ? { ok: false, error: new Error('two') } : { ok: true, value: `r${n}` },
    );
    const load = createBatcher({ run: runner.run, maxBatch: 10, maxInFlight: 2 });
    const results = [load(1), load(2), load(3)].map((p) =>
      p.then(
        (v) => v,
        (e: Error) => `error ${e.message}`,
      ),
    );
    await tick();
    runner.release();
    expect(await Promise.all(results)).toEqual(['r1', 'error two', 'r3']);

    const failing = createBatcher<number, string>({
      run: async () => {
        throw new Error('connection lost');
      },
      maxBatch: 10,
      maxInFlight: 1,
    });
    const failed = await Promise.allSettled([failing(1), failing(2)]);
    expect(failed.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual([
      'connection lost',
      'connection lost',
    ]);
    const miscounted = createBatcher<number, string>({ run: async () => [], maxBatch: 10, maxInFlight: 1 });
    await expect(miscounted(1)).rejects.toThrow('a batch of 1 returned 0 results');
  });

  it('goes on after a rejected batch: the next items are sent', async () => {
    let calls = 0;
    const load = createBatcher<number, number>({
      run: async (items) => {
        calls += 1;
        if (calls === 1) throw new Error('down');
        return items.map((n) => ({ ok: true, value: n * 2 }));
      },
      maxBatch: 10,
      maxInFlight: 1,
    });
    await expect(load(1)).rejects.toThrow('down');
    expect(await load(2)).toBe(4);
  });
});
