import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const tsxLoader = pathToFileURL(path.join(repositoryRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

describe('a worker started by a launcher (SWITCHYARD_EXIT_WITH_PARENT)', () => {
  it('exits when its launcher goes away even while still starting (Redis unreachable)', async () => {
    const child = spawn(
      process.execPath,
      ['--import', tsxLoader, '--conditions=@switchyard/source', 'apps/worker/src/main.ts'],
      {
        cwd: repositoryRoot,
        env: {
          ...process.env,
          // Nothing listens there: start-up waits for Redis (registering the callback signer).
          REDIS_URL: 'redis://127.0.0.1:9',
          SWITCHYARD_WORKER_ROLES: 'webhook',
          SWITCHYARD_EXIT_WITH_PARENT: '1',
          LOG_LEVEL: 'silent',
        },
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Let it load and get stuck connecting, then close its stdin as a dead launcher's pipe would.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(child.exitCode, `still starting, not exited: ${stderr}`).toBeNull();
    child.stdin.end();
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000));
    const result = await Promise.race([exited, timeout]);
    if (result === 'timeout') child.kill('SIGKILL');
    expect(result, stderr).not.toBe('timeout');
  }, 30_000);
});
