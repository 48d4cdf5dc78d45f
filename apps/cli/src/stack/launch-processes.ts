import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const tsx = path.join(repositoryRoot, 'node_modules', '.bin', 'tsx');

export interface LaunchedStack {
  apiUrl: string;
  stop(): Promise<void>;
  /** Resolves when either process exits on its own (a crash). */
  exited: Promise<string>;
}

/**
 * Spawns one of the apps with tsx; `started` resolves with the first group of `ready` matched in its
 * output; `tail()` is the end of its output (echoed to stderr when `echo`).
 */
export function launch(script: string, env: NodeJS.ProcessEnv, ready: RegExp, echo: boolean) {
  const child = spawn(tsx, ['--conditions=@switchyard/source', script], {
    cwd: repositoryRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with code ${code}:\n${output}`));
    });
  });
  return { child, started, tail: () => output.slice(-4_000) };
}

/** SIGTERM (the apps finish their active jobs), then SIGKILL after 15 s. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Starts the API and one all-roles worker as child processes; `echo` streams their logs. */
export async function launchStack(env: NodeJS.ProcessEnv, options: { echo: boolean }): Promise<LaunchedStack> {
  const worker = launch('apps/worker/src/main.ts', env, /(worker started)/, options.echo);
  await worker.started;
  const api = launch('apps/api/src/main.ts', env, /listening on (http:\/\/\S+)/, options.echo);
  const apiUrl = await api.started;
  const children: ChildProcess[] = [api.child, worker.child];
  const exited = new Promise<string>((resolve) => {
    api.child.once('exit', (code) => resolve(`api exited with code ${code}`));
    worker.child.once('exit', (code) => resolve(`worker exited with code ${code}`));
  });
  return {
    apiUrl,
    exited,
    async stop() {
      await Promise.all(children.map(stopProcess));
    },
  };
}
