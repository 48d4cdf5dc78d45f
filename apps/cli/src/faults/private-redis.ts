import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

/** A redis-server of the harness's own, so restarting it touches nobody else's queues. */
export interface PrivateRedis {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /**
   * Restarts the server on the same port. `keep`: SIGTERM (Redis writes its append-only file on the
   * way out) and start again from it, every queue as it was. Otherwise SIGKILL and start from nothing,
   * as a server without persistence does. The server is down for `downMs`.
   */
  restart(options: { keep: boolean; downMs: number }): Promise<void>;
  destroy(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function redisServerBinary(): string {
  try {
    return execFileSync('which', ['redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'redis-server not found on PATH (the fault harness runs a Redis of its own; apt install redis-server)',
    );
  }
}

async function waitForPing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const redis = new Redis(url, { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    redis.on('error', () => {});
    try {
      await redis.connect();
      // A server still loading its append-only file answers LOADING; wait until it is done.
      if ((await redis.ping()) === 'PONG') return;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server at ${url} did not answer within ${timeoutMs} ms`);
    } finally {
      redis.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts redis-server on a free port with an append-only file in a fresh folder (no RDB snapshots). */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const binary = redisServerBinary();
  const directory = await mkdtemp(path.join(tmpdir(), 'sy-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  const start = async () => {
    server = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        directory,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
      ],
      { stdio: 'ignore' },
    );
    await waitForPing(url, 10_000);
  };
  const stop = async (signal: NodeJS.Signals) => {
    const child = server;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  await start();
  return {
    url,
    async restart({ keep, downMs }) {
      await stop(keep ? 'SIGTERM' : 'SIGKILL');
      if (!keep) {
        await rm(directory, { recursive: true, force: true });
        await mkdir(directory);
      }
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    async destroy() {
      await stop('SIGKILL');
      await rm(directory, { recursive: true, force: true });
    },
  };
}
