import type { Command } from 'commander';
import { readCliEnv } from '../env.js';
import { prepareServices } from '../services/prepare-services.js';

/** `switchyard setup`: checks Redis and Postgres, creates and migrates the database. */
export function registerSetupCommand(program: Command): void {
  program
    .command('setup')
    .description('check that Redis and Postgres answer (REDIS_URL, DATABASE_URL), create the database, migrate it')
    .action(async () => {
      const env = readCliEnv();
      const problems = await prepareServices({ databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL }, (line) =>
        console.log(line),
      );
      if (problems.length > 0) {
        for (const problem of problems) console.error(`error: ${problem}`);
        process.exitCode = 1;
        return;
      }
      console.log('redis and postgres are ready');
    });
}
