import type { Command } from 'commander';
import { readCliEnv } from '../env.js';
import { prepareServicesOrReport } from '../services/prepare-services.js';
import { launchStack } from '../stack/launch-processes.js';
import { openStackSession } from '../stack/session.js';

/**
 * `switchyard start`: API + all worker roles, on sim by default or replay with SWITCHYARD_REPLAY,
 * supervised (a crashed process is restarted) until Ctrl-C or SIGTERM, which stop it cleanly (exit 0).
 */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('check services, migrate, then run the API and an all-roles worker until Ctrl-C')
    .action(async () => {
      const env = readCliEnv();
      if (!(await prepareServicesOrReport({ databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL }))) return;
      const session = await openStackSession(env.DATABASE_URL, 'pnpm start');
      let stopping = false;
      let stack: Awaited<ReturnType<typeof launchStack>> | undefined;
      const stop = async (code: number) => {
        if (stopping) return;
        stopping = true;
        await stack?.stop();
        await session.close();
        process.exit(code);
      };
      // Installed before the children start, so a Ctrl-C during start-up also stops cleanly.
      process.on('SIGINT', () => void stop(0));
      process.on('SIGTERM', () => void stop(0));
      try {
        stack = await launchStack(session.env, { echo: true });
      } catch (error) {
        // Its output was echoed above; the first line says which process.
        console.error(`error: ${(error as Error).message.split('\n')[0]}`);
        await stop(1);
        return;
      }
      const lines = [
        '',
        `Switchyard is running: API ${stack.apiUrl}  (Ctrl-C stops)`,
        `  API key for this session (revoked on stop; \`pnpm switchyard keys create --name <n>\` makes lasting ones):`,
        `    ${session.apiKey}`,
        `  try: curl -s ${stack.apiUrl}/v1/queries -H "authorization: Bearer ${session.apiKey}" -H 'content-type: application/json' -d '{"prompt":"What is 2 + 3?"}'`,
        `  dashboard ${stack.apiUrl}/admin/queues and ${stack.apiUrl}/metrics: ${
          session.generatedAdminToken
            ? `any user name, password ${session.generatedAdminToken} (this session's; set SWITCHYARD_ADMIN_TOKEN to choose one)`
            : 'the operator token in SWITCHYARD_ADMIN_TOKEN'
        }`,
        ...(session.generatedWebhookSecret
          ? [
              `  callbacks are signed with SWITCHYARD_WEBHOOK_SECRET=${session.generatedWebhookSecret} (this session's; set it to keep one)`,
            ]
          : []),
      ];
      console.log(lines.join('\n'));
      const reason = await stack.failed;
      if (stopping) return;
      console.error(`error: ${reason}`);
      await stop(1);
    });
}
