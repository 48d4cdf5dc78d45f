import type { Command } from 'commander';
import { formatFaultReport, runFaults } from '../faults/run-faults.js';

/**
 * `switchyard faults` (`pnpm test:faults`): the fault-injection harness. Runs on a Postgres and a
 * Redis of its own (it stops and restarts them), so it needs the PostgreSQL server binaries and
 * redis-server, not the configured services. Prints progress on stderr and the two tables on stdout;
 * exits 1 if any invariant did not hold.
 */
export function registerFaultsCommand(program: Command): void {
  program
    .command('faults')
    .description(
      'fault injection: kill workers, restart Redis, stop Postgres, provider 429/500s, failing webhooks, duplicates; then check the invariants',
    )
    .option('--queries <n>', 'queries to submit', '300')
    .option('--short', 'the CI version: 60 queries (unless --queries), a 24 s window of faults')
    .option('--seed <n>', 'seed of the random faults and answers', '13')
    .action(async (options: { queries: string; short?: boolean; seed: string }, command: Command) => {
      const short = options.short === true;
      const queriesGiven = command.getOptionValueSource('queries') === 'cli';
      const queries = queriesGiven ? Number(options.queries) : short ? 60 : 300;
      const seed = Number(options.seed);
      if (!/^\d+$/.test(String(queries)) || queries < 10 || queries > 100_000) {
        console.error(
          `error: --queries must be a whole number from 10 to 100000; got ${JSON.stringify(options.queries)}`,
        );
        process.exitCode = 2;
        return;
      }
      if (!/^\d+$/.test(options.seed) || !Number.isSafeInteger(seed)) {
        console.error(`error: --seed must be a whole number; got ${JSON.stringify(options.seed)}`);
        process.exitCode = 2;
        return;
      }
      const report = await runFaults({ queries, short, seed, log: (line) => process.stderr.write(`${line}\n`) });
      console.log(formatFaultReport(report));
      if (report.invariants.some((row) => !row.held)) process.exitCode = 1;
    });
}
