import type { Command } from 'commander';
import { readCliEnv } from '../env.js';
import { prepareServicesOrReport } from '../services/prepare-services.js';
import { launchStack } from '../stack/launch-processes.js';

/** `switchyard start`: API + all worker roles, on sim by default or replay with SWITCHYARD_REPLAY. */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('check services, migrate, then run the API and an all-roles worker until Ctrl-C')
    .action(async () => {
      const env = readCliEnv();
      if (!(await prepareServicesOrReport({ databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL }))) return;
      const stack = await launchStack(process.env, { echo: true });
      console.log(
        `\nSwitchyard is running: API ${stack.apiUrl}  dashboard ${stack.apiUrl}/admin/queues  (Ctrl-C stops)`,
      );
      const stop = async () => {
        await stack.stop();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
      const reason = await stack.exited;
      console.error(`error: ${reason}`);
      await stack.stop();
      process.exit(1);
    });
}
