import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const tsxLoader = pathToFileURL(path.join(repositoryRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/**
 * Spawns one of the apps as a direct child (node with tsx as its loader, so a signal to the child
 * reaches the app itself, not a wrapper). The child gets its own process group, so a Ctrl-C in the
 * terminal reaches only the CLI, which stops its children in order; and it exits on its own when the
 * CLI dies (its stdin pipe closes: SWITCHYARD_EXIT_WITH_PARENT). `started` resolves with the first group
 * of `ready` matched in its output; `tail()` is the end of its output (echoed to stderr when `echo`).
 */
export function launch(script: string, env: NodeJS.ProcessEnv, ready: RegExp, echo: boolean, nodeArgs: string[] = []) {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', tsxLoader, '--conditions=@switchyard/source', script],
    {
      cwd: repositoryRoot,
      env: { ...env, SWITCHYARD_EXIT_WITH_PARENT: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let output = '';
  const started = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within 60 s:\n${output}`)), 60_000);
    let isReady = false;
    const onData = (chunk: Buffer) => {
      if (echo) process.stderr.write(chunk);
      output += chunk.toString();
      if (isReady) {
        // After start-up only the tail is kept, to explain a crash.
        if (output.length > 16_000) output = output.slice(-8_000);
        return;
      }
      const match = ready.exec(output);
      if (match) {
        isReady = true;
        clearTimeout(timer);
        resolve(match[1] ?? '');
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${signal ?? `code ${code}`}:\n${output}`));
    });
  });
  started.catch(() => {});
  return { child, started, tail: () => output.slice(-4_000) };
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM (the apps finish their active jobs), then SIGKILL after 15 s. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const done = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  // Cleared once the child exits: a pending timer would keep the CLI alive for the whole grace period.
  await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, 15_000)))]);
  clearTimeout(timer);
  if (!hasExited(child)) {
    child.kill('SIGKILL');
    await done;
  }
}

export interface LaunchedStack {
  apiUrl: string;
  /** Stops the worker, then the API (SIGTERM, then SIGKILL after 15 s); no restarts from then on. */
  stop(): Promise<void>;
  /** Resolves with the reason when the stack cannot go on (a process keeps dying right after restarts). */
  failed: Promise<string>;
}

/** Restart delays of a crashed process, ms: 1 s doubling to 30 s; reset after a minute up. */
const FIRST_RESTART_MS = 1_000;
const MAX_RESTART_MS = 30_000;
const HEALTHY_AFTER_MS = 60_000;
/** A process that dies this many times in a row without staying up a minute fails the stack. */
const MAX_CONSECUTIVE_CRASHES = 8;

interface Supervised {
  /** Resolves with the `ready` group once the first run is up; rejects if it never gets there. */
  started: Promise<string>;
  stop(): Promise<void>;
}

/**
 * Runs `script` and restarts it when it dies after having started (a crash, an OOM kill, a SIGKILL):
 * what `pnpm start` does for its children, as compose's `restart:` does for containers. A first run
 * that never becomes ready (port taken, bad configuration) is not retried: that is for a human.
 */
function supervise(
  name: string,
  script: string,
  env: () => NodeJS.ProcessEnv,
  ready: RegExp,
  options: { echo: boolean; onGiveUp: (reason: string) => void },
): Supervised {
  let current: ReturnType<typeof launch> | undefined;
  let stopping = false;
  let delay = FIRST_RESTART_MS;
  let crashes = 0;
  let restartTimer: NodeJS.Timeout | undefined;

  const run = (): Promise<string> => {
    const launched = launch(script, env(), ready, options.echo);
    current = launched;
    const upAt = launched.started.then(() => Date.now());
    launched.child.once('exit', (code, signal) => {
      if (stopping) return;
      void upAt
        .then((since) => (Date.now() - since > HEALTHY_AFTER_MS ? 'healthy' : 'young'))
        .catch(() => 'never-started' as const)
        .then((age) => {
          if (stopping) return;
          if (age === 'healthy') {
            delay = FIRST_RESTART_MS;
            crashes = 0;
          }
          crashes += 1;
          if (crashes > MAX_CONSECUTIVE_CRASHES) {
            options.onGiveUp(`${name} died ${crashes} times in a row; last output:\n${launched.tail()}`);
            return;
          }
          process.stderr.write(
            `${name} exited with ${signal ?? `code ${code}`}; restarting it in ${Math.round(delay / 1000)} s\n`,
          );
          restartTimer = setTimeout(() => {
            run().catch(() => {});
          }, delay);
          delay = Math.min(delay * 2, MAX_RESTART_MS);
        });
    });
    return launched.started;
  };

  return {
    started: run(),
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      if (current) await stopProcess(current.child);
    },
  };
}

/**
 * Starts one all-roles worker and the API as supervised child processes; `echo` streams their logs.
 * A crashed child is restarted (the API on the port it first got). Rejects when either fails to start.
 */
export async function launchStack(env: NodeJS.ProcessEnv, options: { echo: boolean }): Promise<LaunchedStack> {
  let giveUp: (reason: string) => void = () => {};
  const failed = new Promise<string>((resolve) => {
    giveUp = resolve;
  });
  const worker = supervise('worker', 'apps/worker/src/main.ts', () => env, /(worker started)/, {
    echo: options.echo,
    onGiveUp: (reason) => giveUp(reason),
  });
  try {
    await worker.started;
  } catch (error) {
    await worker.stop();
    throw error;
  }
  let apiPort: string | undefined;
  const api = supervise(
    'api',
    'apps/api/src/main.ts',
    () => (apiPort === undefined ? env : { ...env, PORT: apiPort }),
    /listening on (http:\/\/\S+)/,
    { echo: options.echo, onGiveUp: (reason) => giveUp(reason) },
  );
  let apiUrl: string;
  try {
    apiUrl = await api.started;
  } catch (error) {
    await Promise.all([api.stop(), worker.stop()]);
    throw error;
  }
  apiPort = new URL(apiUrl).port;
  return {
    apiUrl,
    failed,
    async stop() {
      await Promise.all([worker.stop(), api.stop()]);
    },
  };
}
