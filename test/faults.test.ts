import { describe, expect, it } from 'vitest';
import { formatFaultReport, runFaults } from '../apps/cli/src/faults/run-faults.js';

// The CI version of `pnpm test:faults`: one API and three workers on a Postgres and a Redis of the
// harness's own, 60 queries while cascade workers are SIGKILLed, Redis restarts twice (keeping its data,
// then losing it), Postgres stops for 10 s, the provider answers 429 and 500, the webhook receiver 500,
// and duplicates arrive; then every invariant of the ledger, the callbacks and the provider's log.

describe('fault injection (pnpm test:faults --short)', () => {
  it('every invariant holds after every kind of fault', async () => {
    const report = await runFaults({
      queries: 60,
      short: true,
      seed: 13,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    console.log(formatFaultReport(report));
    // The faults happened.
    const count = (prefix: string) => report.faults.find((fault) => fault.fault.startsWith(prefix))?.count ?? 0;
    expect(count('SIGKILL')).toBeGreaterThanOrEqual(3);
    expect(count('Redis restart, data kept')).toBe(1);
    expect(count('Redis restart, data lost')).toBe(1);
    expect(count('Postgres stopped')).toBe(1);
    expect(count('provider 429')).toBeGreaterThan(0);
    expect(count('provider 500')).toBeGreaterThan(0);
    expect(count('webhook receiver 500')).toBeGreaterThanOrEqual(60);
    // And nothing broke.
    expect(report.invariants.filter((row) => !row.held)).toEqual([]);
    expect(report.invariants.length).toBeGreaterThanOrEqual(10);
  }, 300_000);
});
