/** Postgres SQLSTATEs and Node/Prisma codes that mean "the database is not reachable right now". */
const UNAVAILABLE_CODES = new Set([
  // Prisma: cannot reach / connection closed / timed out fetching a connection from the pool.
  'P1001',
  'P1002',
  'P1008',
  'P1017',
  'P2024',
  // Postgres: admin shutdown, crash shutdown, cannot connect now, connection failures.
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  // Node sockets.
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

const UNAVAILABLE_MESSAGE =
  /ECONNREFUSED|Connection terminated|connection (is )?(closed|ended)|terminating connection|the database system is (starting up|shutting down|in recovery mode)|is not currently accepting connections|timeout exceeded when trying to connect|Timed out fetching a new connection|Can't reach database server|Client has encountered a connection error|pool wait timed out/i;

/**
 * Whether `error` (or any error in its `cause` chain) says the database is down or unreachable, as
 * opposed to a bad statement: callers answer 503 / retry instead of failing for good.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 8; depth += 1) {
    const candidate = current as { code?: unknown; message?: unknown; cause?: unknown; originalCode?: unknown };
    if (typeof candidate.code === 'string' && UNAVAILABLE_CODES.has(candidate.code)) return true;
    if (typeof candidate.originalCode === 'string' && UNAVAILABLE_CODES.has(candidate.originalCode)) return true;
    if (typeof candidate.message === 'string' && UNAVAILABLE_MESSAGE.test(candidate.message)) return true;
    current = candidate.cause;
  }
  return false;
}
