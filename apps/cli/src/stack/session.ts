import { randomBytes } from 'node:crypto';
import { createApiKey, createPrismaClient, revokeApiKey } from '@switchyard/db';

/** What `pnpm start`/`demo` hand to their processes and print: the credentials of one session. */
export interface StackSession {
  /** Environment for the API and worker processes (operator token and webhook secret). */
  env: NodeJS.ProcessEnv;
  /** A fresh API key for this session (expires in a day; revoked when the session stops). */
  apiKey: string;
  /** The operator token, when this session generated it (unset in the caller's environment). */
  generatedAdminToken: string | undefined;
  /** The callback signing secret, when this session generated it. */
  generatedWebhookSecret: string | undefined;
  /** Revokes the session key. */
  close(): Promise<void>;
}

const SESSION_KEY_LIFETIME_MS = 24 * 3600_000;

/**
 * Credentials so that `pnpm start` and `pnpm demo` work on a fresh machine: a session API key, and
 * an operator token and webhook secret unless the environment sets its own.
 */
export async function openStackSession(databaseUrl: string, label: string): Promise<StackSession> {
  const prisma = createPrismaClient({ databaseUrl });
  try {
    const name = `${label} session ${new Date().toISOString()} ${randomBytes(3).toString('hex')}`;
    const { key } = await createApiKey(prisma, { name, expiresAt: new Date(Date.now() + SESSION_KEY_LIFETIME_MS) });
    const generatedAdminToken = process.env.SWITCHYARD_ADMIN_TOKEN ? undefined : randomBytes(24).toString('hex');
    const generatedWebhookSecret = process.env.SWITCHYARD_WEBHOOK_SECRET ? undefined : randomBytes(24).toString('hex');
    return {
      env: {
        ...process.env,
        ...(generatedAdminToken ? { SWITCHYARD_ADMIN_TOKEN: generatedAdminToken } : {}),
        ...(generatedWebhookSecret ? { SWITCHYARD_WEBHOOK_SECRET: generatedWebhookSecret } : {}),
      },
      apiKey: key,
      generatedAdminToken,
      generatedWebhookSecret,
      async close() {
        const closing = createPrismaClient({ databaseUrl });
        try {
          await revokeApiKey(closing, name);
        } catch {
          // Already revoked, or the database is gone: the key expires on its own.
        } finally {
          await closing.$disconnect();
        }
      },
    };
  } finally {
    await prisma.$disconnect();
  }
}
