import { readFile } from 'node:fs/promises';
import type { Redis } from 'ioredis';

/** CPU seconds (user + system) spent during a measured phase, by who spent it. */
export interface CpuSplit {
  workers: number;
  api: number;
  /** This process: the bench's own HTTP client and polling. */
  benchClient: number;
  /** `INFO cpu` of the Redis server (every client's work). */
  redis: number | null;
  /** The backends of the bench's database, when they are processes on this host (null otherwise). */
  postgres: number | null;
}

/** Linux's USER_HZ: /proc reports CPU time in ticks of 1/100 s on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

async function processCpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3: utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

async function redisCpuSeconds(redis: Redis): Promise<number | null> {
  try {
    const info = await redis.info('cpu');
    const value = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
    const total = value('used_cpu_sys') + value('used_cpu_user');
    return Number.isFinite(total) ? total : null;
  } catch {
    return null;
  }
}

/**
 * Measures where the CPU of a bench phase goes: the API and worker processes (from /proc), this
 * process, Redis (its own counters) and the database's backends (sampled from /proc every
 * `sampleMs`, each from when it was first seen; a backend that ends between two samples loses its
 * last interval). Start it when the phase starts and stop it before any process is stopped.
 */
export async function startCpuMeter(options: {
  workerPids: number[];
  apiPid: number;
  redis: Redis;
  /** A client on the bench's database server, to list the database's backends. */
  database: { query(text: string, values: unknown[]): Promise<{ rows: unknown[] }> };
  databaseName: string;
  sampleMs?: number;
}): Promise<{ stop(): Promise<CpuSplit> }> {
  const childStart = new Map<number, number>();
  for (const pid of [...options.workerPids, options.apiPid]) childStart.set(pid, (await processCpuSeconds(pid)) ?? 0);
  const selfStart = process.cpuUsage();
  const redisStart = await redisCpuSeconds(options.redis);
  const backends = new Map<number, { first: number; last: number }>();
  let postgresVisible = true;
  const sample = async (baseline: boolean) => {
    const { rows } = await options.database.query(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [options.databaseName],
    );
    let readable = 0;
    for (const { pid } of rows as { pid: number }[]) {
      const seconds = await processCpuSeconds(pid);
      // Unreadable: a backend that ended since it was listed (a pool closing an idle connection), or
      // the server is not on this host. Only the second makes Postgres's share unknown: decided once,
      // at the start, when no backend at all can be read.
      if (seconds === null) continue;
      readable += 1;
      const known = backends.get(pid);
      if (known) known.last = seconds;
      // A backend seen at the start counts from there; one started during the phase from its start.
      else backends.set(pid, { first: baseline ? seconds : 0, last: seconds });
    }
    if (baseline && rows.length > 0 && readable === 0) postgresVisible = false;
  };
  await sample(true);
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      await new Promise((resolve) => setTimeout(resolve, options.sampleMs ?? 500));
      await sample(false).catch(() => {});
    }
  })();
  return {
    async stop() {
      sampling = false;
      await loop;
      await sample(false).catch(() => {});
      const childDelta = async (pid: number) => ((await processCpuSeconds(pid)) ?? 0) - (childStart.get(pid) ?? 0);
      let workers = 0;
      for (const pid of options.workerPids) workers += await childDelta(pid);
      const self = process.cpuUsage(selfStart);
      const redisEnd = await redisCpuSeconds(options.redis);
      let postgres = 0;
      for (const { first, last } of backends.values()) postgres += last - first;
      return {
        workers,
        api: await childDelta(options.apiPid),
        benchClient: (self.user + self.system) / 1e6,
        redis: redisStart === null || redisEnd === null ? null : redisEnd - redisStart,
        postgres: postgresVisible && backends.size > 0 ? postgres : null,
      };
    },
  };
}
