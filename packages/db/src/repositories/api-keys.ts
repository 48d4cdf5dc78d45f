import { apiKeyLookupPrefix, generateApiKey, hashApiKey, isWellFormedApiKey, secretsEqual } from '@switchyard/auth';
import { createBatcher, poolBatcher, poolLookupById } from '../batching/batcher.js';
import { type PrismaClient, sqlPool } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';

/** The UTC month (its first day) that budgets count calls starting now in. */
export const CURRENT_BUDGET_MONTH = Prisma.sql`date_trunc('month', now() AT TIME ZONE 'UTC')::date`;

/** What an operator sets on a key. */
export interface NewApiKey {
  /**
   * Label, unique among keys in use: 1–100 printable characters (no control, format or line-separator
   * characters), and not shaped like a key id (a UUID), so `revoke <name|id>` can tell them apart.
   */
  name: string;
  /** Monthly spending cap, decimal USD; omitted = no cap. */
  monthlyBudgetUsd?: string;
  /** Requests per minute; omitted = no limit. */
  rpm?: number;
  /** The key stops working at this time (session keys); omitted = never. */
  expiresAt?: Date;
}

/** A key as listings show it: never the key itself, nor its hash. */
export interface ApiKeySummary {
  id: string;
  name: string;
  /** `sy_` + the first 8 characters, to recognise the key. */
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  expiresAt: Date | null;
  monthlyBudgetUsd: string | null;
  rpm: number | null;
  /** Sum of the ledger costs of this key's calls that started this UTC month, decimal USD. */
  spentThisMonthUsd: string;
}

/** The caller a valid key stands for; what the API needs on every request. */
export interface ApiKeyPrincipal {
  apiKeyId: string;
  name: string;
  rpm: number | null;
  monthlyBudgetUsd: string | null;
}

export type ApiKeyAuthentication =
  | { kind: 'ok'; principal: ApiKeyPrincipal }
  /** Not shaped like a key, or no key has this value. */
  | { kind: 'unknown' }
  | { kind: 'revoked' }
  | { kind: 'expired' };

/** Thrown for an operator's mistake (duplicate name, unknown key); the message says what to do. */
export class ApiKeyError extends Error {
  override readonly name = 'ApiKeyError';
}

/** The shape of a key id; names may not have it, so an argument of this shape is an id. */
const KEY_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Characters a name may not hold: control (C0, DEL, C1), format (bidi overrides, zero-width), surrogate,
 * private-use and unassigned code points, and line/paragraph separators. Listings print names in a
 * terminal table, where any of these can fake rows or run escape sequences.
 */
const NON_PRINTABLE = /[\p{C}\p{Zl}\p{Zp}]/u;

/** Whether `value` has the shape of a key id (a UUID, any case). */
export function looksLikeKeyId(value: string): boolean {
  return KEY_ID_PATTERN.test(value);
}

/** The name a key will be stored under (trimmed), or an ApiKeyError saying what is wrong with it. */
export function checkApiKeyName(requested: string): string {
  const characters = [...requested];
  const index = characters.findIndex((character) => NON_PRINTABLE.test(character));
  if (index >= 0) {
    const codePoint = (characters[index] as string).codePointAt(0) ?? 0;
    throw new ApiKeyError(
      `a key name must be printable characters only: character ${index + 1} is U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}, which is not`,
    );
  }
  const name = requested.trim();
  if (name.length === 0 || name.length > 100) throw new ApiKeyError('name must be 1 to 100 characters');
  if (looksLikeKeyId(name)) {
    throw new ApiKeyError(
      `a name must not look like a key id (a UUID), so that revoking by name or id is unambiguous; got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/**
 * Creates a key and returns it in clear, the only time it exists outside the caller: the database
 * keeps its sha256 hash and its first characters.
 */
export async function createApiKey(
  prisma: PrismaClient,
  request: NewApiKey,
): Promise<{ key: string; summary: ApiKeySummary }> {
  const name = checkApiKeyName(request.name);
  const key = generateApiKey();
  try {
    const row = await prisma.apiKey.create({
      data: {
        name,
        prefix: apiKeyLookupPrefix(key),
        hash: hashApiKey(key),
        monthlyBudgetUsd: request.monthlyBudgetUsd ?? null,
        rpm: request.rpm ?? null,
        expiresAt: request.expiresAt ?? null,
      },
    });
    return { key, summary: { ...summaryOf(row), spentThisMonthUsd: '0' } };
  } catch (error) {
    if ((error as { code?: string }).code === 'P2002' || /api_keys_name_active_key/.test(String(error))) {
      throw new ApiKeyError(
        `a key named ${JSON.stringify(name)} is already in use; revoke it first or pick another name`,
      );
    }
    throw error;
  }
}

/** Every key, newest first, with this month's spend from the ledger. */
export async function listApiKeys(prisma: PrismaClient): Promise<ApiKeySummary[]> {
  const rows = await prisma.apiKey.findMany({ orderBy: { createdAt: 'desc' } });
  const spend = await prisma.$queryRaw<{ api_key_id: string; spent: Prisma.Decimal }[]>`
    SELECT q.api_key_id, COALESCE(SUM(a.cost_usd), 0) AS spent
    FROM attempts a JOIN queries q ON q.id = a.query_id
    WHERE q.api_key_id IS NOT NULL AND a.started_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
    GROUP BY q.api_key_id`;
  const spentByKey = new Map(spend.map((row) => [row.api_key_id, new Prisma.Decimal(row.spent).toFixed()]));
  return rows.map((row) => ({ ...summaryOf(row), spentThisMonthUsd: spentByKey.get(row.id) ?? '0' }));
}

/**
 * How `revokeApiKey` reads its argument: `id` or `name` only, or `auto`: a UUID-shaped argument is an
 * id unless it is also the name of a key in use (possible for keys created before such names were
 * refused), which is refused as ambiguous; anything else is a name.
 */
export type RevokeBy = 'auto' | 'id' | 'name';

/** Revokes the key with this id, or the key in use with this name; it answers 401 from the next request on. */
export async function revokeApiKey(
  prisma: PrismaClient,
  nameOrId: string,
  options: { by?: RevokeBy } = {},
): Promise<ApiKeySummary> {
  const by = options.by ?? 'auto';
  const isIdShaped = looksLikeKeyId(nameOrId);
  if (by === 'id' && !isIdShaped)
    throw new ApiKeyError(`${JSON.stringify(nameOrId)} is not a key id (ids are UUIDs, as keys list shows them)`);
  const byId = by !== 'name' && isIdShaped ? await prisma.apiKey.findUnique({ where: { id: nameOrId } }) : null;
  const byName = by !== 'id' ? await prisma.apiKey.findFirst({ where: { name: nameOrId, revokedAt: null } }) : null;
  if (byId && byName && byId.id !== byName.id) {
    throw new ApiKeyError(
      `${JSON.stringify(nameOrId)} is both the id of key ${JSON.stringify(byId.name)} and the name of key ${byName.id}; say which to revoke (the CLI: keys revoke ${nameOrId} --id, or --name)`,
    );
  }
  const row = byId ?? byName;
  if (!row) {
    const what = by === 'id' ? 'id' : by === 'name' || !isIdShaped ? 'name' : 'id or name';
    throw new ApiKeyError(`no key in use has the ${what} ${JSON.stringify(nameOrId)}`);
  }
  if (row.revokedAt)
    throw new ApiKeyError(`key ${row.name} (${row.id}) was already revoked at ${row.revokedAt.toISOString()}`);
  const revoked = await prisma.apiKey.update({ where: { id: row.id }, data: { revokedAt: new Date() } });
  return { ...summaryOf(revoked), spentThisMonthUsd: '0' };
}

/**
 * Finds the key a bearer token stands for. Looks up candidates by the clear prefix, then compares the
 * hashes in constant time, so the response time does not tell how much of a guess was right.
 */
export async function authenticateApiKey(
  prisma: PrismaClient,
  token: string,
  now = new Date(),
): Promise<ApiKeyAuthentication> {
  if (!isWellFormedApiKey(token)) return { kind: 'unknown' };
  const hash = hashApiKey(token);
  // Plain SQL (one round trip, no query engine), batched: every /v1 request comes through here.
  const pool = sqlPool(prisma);
  const lookup = poolBatcher(pool, 'authenticateApiKey', () =>
    createBatcher<string, KeyRow[]>({
      maxBatch: 200,
      async run(prefixes) {
        const { rows } = await pool.query<KeyRow & { prefix: string }>({
          name: 'switchyard_api_keys_by_prefixes',
          text: `SELECT prefix, id, name, hash, rpm, monthly_budget_usd::text AS monthly_budget_usd, revoked_at, expires_at
                 FROM api_keys WHERE prefix = ANY($1::text[])`,
          values: [[...new Set(prefixes)]],
        });
        return prefixes.map((prefix) => ({ ok: true, value: rows.filter((row) => row.prefix === prefix) }));
      },
    }),
  );
  const rows = await lookup(apiKeyLookupPrefix(token));
  const row = rows.find((candidate) => secretsEqual(hash, candidate.hash));
  if (!row) return { kind: 'unknown' };
  if (row.revoked_at !== null) return { kind: 'revoked' };
  if (row.expires_at !== null && row.expires_at <= now) return { kind: 'expired' };
  return {
    kind: 'ok',
    principal: {
      apiKeyId: row.id,
      name: row.name,
      rpm: row.rpm,
      monthlyBudgetUsd: row.monthly_budget_usd === null ? null : new Prisma.Decimal(row.monthly_budget_usd).toFixed(),
    },
  };
}

/** Records that the key was used (callers throttle this: it is a write). */
export async function touchApiKey(prisma: PrismaClient, apiKeyId: string, at = new Date()): Promise<void> {
  await prisma.apiKey.updateMany({ where: { id: apiKeyId }, data: { lastUsedAt: at } });
}

/**
 * What a budgeted key may still spend this UTC month: budget − settled spend − worst case of calls in
 * flight, decimal USD (may be negative only if the budget was lowered). null: the key has no budget.
 */
export async function remainingKeyBudgetUsd(prisma: PrismaClient, apiKeyId: string): Promise<string | null> {
  const read = poolLookupById<{ id: string; remaining: string | null }>(
    sqlPool(prisma),
    'switchyard_key_remaining_by_ids',
    'SELECT k AS id, switchyard_key_remaining(k)::text AS remaining FROM unnest($1::uuid[]) AS k',
  );
  const remaining = (await read(apiKeyId))?.remaining;
  return remaining == null ? null : new Prisma.Decimal(remaining).toFixed();
}

interface KeyRow {
  id: string;
  name: string;
  hash: string;
  rpm: number | null;
  monthly_budget_usd: string | null;
  revoked_at: Date | null;
  expires_at: Date | null;
}

function summaryOf(row: {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  expiresAt: Date | null;
  monthlyBudgetUsd: Prisma.Decimal | null;
  rpm: number | null;
}): Omit<ApiKeySummary, 'spentThisMonthUsd'> {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
    expiresAt: row.expiresAt,
    monthlyBudgetUsd: row.monthlyBudgetUsd === null ? null : row.monthlyBudgetUsd.toFixed(),
    rpm: row.rpm,
  };
}
