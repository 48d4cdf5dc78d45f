import type { connectClient } from '@switchyard/db';
import type { ReceivedCallback } from './callback-receiver.js';
import type { FakeRequest } from './fake-provider.js';

/** One checked invariant: whether it held, and the numbers (or the first violations) behind it. */
export interface InvariantResult {
  invariant: string;
  held: boolean;
  detail: string;
}

/** What the harness submitted, as the client saw it. */
export interface Submissions {
  /** Idempotency key → every query id a 202 answered with for it. */
  idsByKey: Map<string, Set<string>>;
  /** Answers other than 202, 402 (key budget), 503 or a dropped connection (both retried). */
  unexpected: string[];
}

/** USD decimal text → integer pico-USD (the ledger's 12 decimals), so sums compare exactly. */
export function picoUsd(value: string | null): bigint {
  if (value === null) return 0n;
  const negative = value.startsWith('-');
  const [whole = '0', fraction = ''] = value.replace(/^-/, '').split('.');
  const pico = BigInt(whole) * 10n ** 12n + BigInt(fraction.padEnd(12, '0').slice(0, 12));
  return negative ? -pico : pico;
}

export function formatPicoUsd(value: bigint): string {
  const whole = value / 10n ** 12n;
  const fraction = (value % 10n ** 12n).toString().padStart(12, '0').replace(/0+$/, '');
  return `$${whole}${fraction ? `.${fraction}` : ''}`;
}

interface QueryRow {
  id: string;
  prompt: string;
  status: string;
  total_cost_usd: string;
  reserved_cost_usd: string;
  max_cost_usd: string | null;
  api_key_id: string | null;
  idempotency_key: string | null;
  completed_at: Date | null;
  error_code: string | null;
  outcome: string | null;
}

interface AttemptRow {
  id: string;
  query_id: string;
  stage: number;
  role: string;
  slot: number;
  model: string;
  outcome: string;
  tries: number;
  cost_usd: string | null;
  completed_at: Date | null;
}

interface TryRow {
  attempt_id: string;
  number: number;
  state: string;
  charged_usd: string | null;
  charge_basis: string | null;
}

/** "56 completed (40 accepted, 16 fused), 4 failed (budget_exhausted 3, no_answer 1)". */
function describeEndings(queries: QueryRow[]): string {
  const count = (values: string[]) => {
    const counts = new Map<string, number>();
    for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
    return [...counts].map(([value, n]) => `${value} ${n}`).join(', ');
  };
  const completed = queries.filter((query) => query.status === 'completed');
  const failed = queries.filter((query) => query.status === 'failed');
  return `${completed.length} completed (${count(completed.map((query) => query.outcome ?? '?'))}), ${failed.length} failed${failed.length > 0 ? ` (${count(failed.map((query) => query.error_code ?? '?'))})` : ''}`;
}

/** Up to `limit` violations, and how many there were. */
function sample(violations: string[], limit = 3): string {
  if (violations.length === 0) return '';
  return `${violations.length} violation(s): ${violations.slice(0, limit).join('; ')}${violations.length > limit ? '; …' : ''}`;
}

function result(invariant: string, violations: string[], whenHeld: string): InvariantResult {
  return { invariant, held: violations.length === 0, detail: violations.length === 0 ? whenHeld : sample(violations) };
}

/**
 * Checks the ledger, the callback deliveries and the provider's own log against each other once the
 * run is over. Every row of `queries` in the database is one the harness submitted (the database is
 * the run's own).
 */
export async function checkInvariants(
  client: Awaited<ReturnType<typeof connectClient>>,
  inputs: { submissions: Submissions; providerRequests: FakeRequest[]; callbacks: ReceivedCallback[] },
): Promise<InvariantResult[]> {
  const { submissions, providerRequests, callbacks } = inputs;
  const queries = (
    await client.query<QueryRow>(
      `SELECT id, prompt, status, total_cost_usd::text, reserved_cost_usd::text, max_cost_usd::text, api_key_id,
              idempotency_key, completed_at, error_code, outcome->>'outcome' AS outcome FROM queries`,
    )
  ).rows;
  const attempts = (
    await client.query<AttemptRow>(
      `SELECT id, query_id, stage, role::text, slot, model, outcome::text, tries, cost_usd::text, completed_at
       FROM attempts`,
    )
  ).rows;
  const tries = (
    await client.query<TryRow>(
      `SELECT attempt_id, number, state::text, charged_usd::text, charge_basis FROM attempt_tries ORDER BY attempt_id, number`,
    )
  ).rows;
  const deliveries = (
    await client.query<{ query_id: string; event: string; status: string; attempt_count: number }>(
      `SELECT query_id, event, status::text, attempt_count FROM webhook_deliveries WHERE query_id IS NOT NULL`,
    )
  ).rows;
  const keys = (
    await client.query<{
      id: string;
      name: string;
      budget: string | null;
      spent: string | null;
      reserved: string | null;
    }>(
      `SELECT k.id, k.name, k.monthly_budget_usd::text AS budget, u.spent_usd::text AS spent, u.reserved_usd::text AS reserved
       FROM api_keys k LEFT JOIN api_key_usage u ON u.api_key_id = k.id`,
    )
  ).rows;

  const results: InvariantResult[] = [];
  const queryById = new Map(queries.map((query) => [query.id, query]));
  const attemptsOf = new Map<string, AttemptRow[]>();
  for (const attempt of attempts)
    attemptsOf.set(attempt.query_id, [...(attemptsOf.get(attempt.query_id) ?? []), attempt]);
  const triesOf = new Map<string, TryRow[]>();
  for (const row of tries) triesOf.set(row.attempt_id, [...(triesOf.get(row.attempt_id) ?? []), row]);

  // Every query ends exactly once: one final status, one delivery row for it, one kind of callback.
  const final = (status: string) => status === 'completed' || status === 'failed';
  const unfinished = queries.filter((query) => !final(query.status) || query.completed_at === null);
  const deliveriesOf = new Map<string, typeof deliveries>();
  for (const row of deliveries) deliveriesOf.set(row.query_id, [...(deliveriesOf.get(row.query_id) ?? []), row]);
  const endings: string[] = unfinished.map((query) => `${query.id} is ${query.status}`);
  const eventsReceived = new Map<string, Set<string>>();
  for (const callback of callbacks) {
    eventsReceived.set(callback.queryId, (eventsReceived.get(callback.queryId) ?? new Set()).add(callback.event));
  }
  for (const query of queries) {
    if (!final(query.status)) continue;
    const own = deliveriesOf.get(query.id) ?? [];
    if (own.length !== 1 || own[0]?.event !== `query.${query.status}`) {
      endings.push(`${query.id} (${query.status}) has delivery rows ${JSON.stringify(own.map((row) => row.event))}`);
    }
    const received = [...(eventsReceived.get(query.id) ?? [])];
    if (received.some((event) => event !== `query.${query.status}`)) {
      endings.push(`${query.id} (${query.status}) was announced as ${received.join(', ')}`);
    }
  }
  results.push(
    result(
      'every query ends exactly once (one final status, one delivery row, one final event)',
      endings,
      `${queries.length} queries: ${describeEndings(queries)}`,
    ),
  );

  // Attempts unique per (query, stage, role, slot); none left started, no try left reserved.
  const keysSeen = new Map<string, number>();
  for (const attempt of attempts) {
    const key = `${attempt.query_id}/${attempt.stage}/${attempt.role}/${attempt.slot}`;
    keysSeen.set(key, (keysSeen.get(key) ?? 0) + 1);
  }
  results.push(
    result(
      'attempts unique per (query, stage, role, slot)',
      [...keysSeen].filter(([, count]) => count > 1).map(([key, count]) => `${key} × ${count}`),
      `${attempts.length} attempts, ${tries.length} tries`,
    ),
  );
  results.push(
    result(
      'no attempt left started, no try left reserved',
      [
        ...attempts
          .filter((attempt) => attempt.outcome === 'started')
          .map((attempt) => `attempt ${attempt.id} started`),
        ...tries
          .filter((row) => row.state !== 'charged')
          .map((row) => `try ${row.attempt_id}#${row.number} ${row.state}`),
      ],
      'all settled',
    ),
  );

  // No double payment of a recorded result: once an attempt has its answer recorded, no request for it
  // reaches the provider again, and at most one of its tries is a recorded answer.
  const requestsByCall = new Map<string, FakeRequest[]>();
  for (const request of providerRequests) {
    const key = `${request.prompt}\n${request.model}`;
    requestsByCall.set(key, [...(requestsByCall.get(key) ?? []), request]);
  }
  const callKey = (attempt: AttemptRow) => `${queryById.get(attempt.query_id)?.prompt ?? ''}\n${attempt.model}`;
  const doublePaid: string[] = [];
  let reCalledAfterCrash = 0;
  for (const attempt of attempts) {
    const own = triesOf.get(attempt.id) ?? [];
    const recorded = own.filter((row) => row.charge_basis === 'usage').length;
    if (recorded > 1) doublePaid.push(`${attempt.id}: ${recorded} tries with a recorded answer`);
    const settledAt = attempt.completed_at?.getTime();
    const after = (requestsByCall.get(callKey(attempt)) ?? []).filter(
      (request) => settledAt !== undefined && request.receivedAt > settledAt,
    );
    if (after.length > 0)
      doublePaid.push(`${attempt.id} (${attempt.model}): ${after.length} request(s) after it was recorded`);
    const answered = (requestsByCall.get(callKey(attempt)) ?? []).filter((request) => request.status === 200).length;
    if (answered > 1) reCalledAfterCrash += answered - 1;
  }
  results.push(
    result(
      'no double payment of a recorded result',
      doublePaid,
      `${providerRequests.length} provider requests; ${reCalledAfterCrash} answer(s) made again because the first was never recorded (a killed worker), each charged`,
    ),
  );

  // What the ledger says was spent covers what the provider billed, call by call; every request is a try.
  const underReported: string[] = [];
  let ledgerTotal = 0n;
  let billedTotal = 0n;
  for (const attempt of attempts) {
    const requests = requestsByCall.get(callKey(attempt)) ?? [];
    const billed = requests.reduce((sum, request) => sum + request.billedPicoUsd, 0n);
    const charged = picoUsd(attempt.cost_usd);
    ledgerTotal += charged;
    billedTotal += billed;
    if (charged < billed) {
      underReported.push(
        `${attempt.id} (${attempt.model}): ledger ${formatPicoUsd(charged)} < billed ${formatPicoUsd(billed)}`,
      );
    }
    if (requests.length > attempt.tries) {
      underReported.push(`${attempt.id} (${attempt.model}): ${requests.length} requests, ${attempt.tries} tries`);
    }
  }
  const unknownRequests = [...requestsByCall.keys()].filter(
    (key) => !attempts.some((attempt) => callKey(attempt) === key),
  );
  underReported.push(...unknownRequests.map((key) => `provider requests with no attempt: ${key.replace('\n', ' / ')}`));
  results.push(
    result(
      'every provider request is in the ledger, charged at least what was billed',
      underReported,
      `ledger ${formatPicoUsd(ledgerTotal)} ≥ billed ${formatPicoUsd(billedTotal)}`,
    ),
  );

  // Cost = sum of attempts; attempt cost = sum of its tries.
  const sums: string[] = [];
  for (const query of queries) {
    const own = attemptsOf.get(query.id) ?? [];
    const total = own.reduce((sum, attempt) => sum + picoUsd(attempt.cost_usd), 0n);
    if (total !== picoUsd(query.total_cost_usd)) {
      sums.push(`${query.id}: total ${query.total_cost_usd} ≠ attempts ${formatPicoUsd(total)}`);
    }
    if (picoUsd(query.reserved_cost_usd) !== 0n) sums.push(`${query.id}: ${query.reserved_cost_usd} still reserved`);
  }
  for (const attempt of attempts) {
    const charged = (triesOf.get(attempt.id) ?? []).reduce((sum, row) => sum + picoUsd(row.charged_usd), 0n);
    if (charged !== picoUsd(attempt.cost_usd)) {
      sums.push(`attempt ${attempt.id}: cost ${attempt.cost_usd} ≠ tries ${formatPicoUsd(charged)}`);
    }
    const rows = (triesOf.get(attempt.id) ?? []).length;
    // A call the budget refused before any request has no try rows (and `tries` 1: the job run that
    // asked); it must have cost nothing. Every other attempt has one row per request.
    const neverMade = rows === 0 && attempt.outcome === 'failed' && picoUsd(attempt.cost_usd) === 0n;
    if (rows !== attempt.tries && !neverMade) {
      sums.push(`attempt ${attempt.id}: tries ${attempt.tries} ≠ ${rows} try rows`);
    }
  }
  results.push(
    result('query cost = sum of its attempts; attempt cost = sum of its tries', sums, 'exact to the pico-dollar'),
  );

  // No budget exceeded: per query, and per key (the month's spend, and the sum of its queries).
  const budgets: string[] = [];
  for (const query of queries) {
    if (query.max_cost_usd !== null && picoUsd(query.total_cost_usd) > picoUsd(query.max_cost_usd)) {
      budgets.push(`${query.id}: ${query.total_cost_usd} > maxCostUsd ${query.max_cost_usd}`);
    }
  }
  const keyNotes: string[] = [];
  for (const key of keys) {
    const spentByQueries = queries
      .filter((query) => query.api_key_id === key.id)
      .reduce((sum, query) => sum + picoUsd(query.total_cost_usd), 0n);
    if (key.budget === null) continue;
    if (picoUsd(key.spent) !== spentByQueries) {
      budgets.push(`key ${key.name}: month spent ${key.spent} ≠ its queries' ${formatPicoUsd(spentByQueries)}`);
    }
    if (picoUsd(key.spent) > picoUsd(key.budget))
      budgets.push(`key ${key.name}: spent ${key.spent} > budget ${key.budget}`);
    if (picoUsd(key.reserved) !== 0n) budgets.push(`key ${key.name}: ${key.reserved} still reserved`);
    keyNotes.push(`key ${key.name} spent ${formatPicoUsd(spentByQueries)} of ${formatPicoUsd(picoUsd(key.budget))}`);
  }
  const stoppedByBudget = queries.filter((query) => query.outcome === 'budget' || query.error_code?.includes('budget'));
  results.push(
    result(
      'no budget exceeded (per query, per key)',
      budgets,
      `${queries.length} query budgets kept (${stoppedByBudget.length} queries stopped by one); ${keyNotes.join('; ')}`,
    ),
  );

  // Every callback delivered (receiver got a 2xx for it, the row says delivered).
  const accepted = new Set(callbacks.map((callback) => callback.queryId));
  const undelivered: string[] = [];
  for (const query of queries) {
    const row = deliveriesOf.get(query.id)?.[0];
    if (row?.status !== 'delivered' || !accepted.has(query.id)) {
      undelivered.push(`${query.id}: ${row ? `${row.status} after ${row.attempt_count} tries` : 'no delivery row'}`);
    }
  }
  const duplicatesReceived = callbacks.length - accepted.size;
  results.push(
    result(
      'every callback delivered',
      undelivered,
      `${accepted.size} delivered (${deliveries.reduce((sum, row) => sum + row.attempt_count, 0)} tries; ${duplicatesReceived} received twice: at-least-once)`,
    ),
  );

  // Duplicates: one query per idempotency key, the same id on every 202.
  const idempotency: string[] = [...submissions.unexpected];
  const rowsByKey = new Map<string, number>();
  for (const query of queries) {
    if (query.idempotency_key) rowsByKey.set(query.idempotency_key, (rowsByKey.get(query.idempotency_key) ?? 0) + 1);
  }
  for (const [key, count] of rowsByKey) if (count > 1) idempotency.push(`${count} rows for ${key}`);
  let repeated = 0;
  for (const [key, ids] of submissions.idsByKey) {
    if (ids.size > 1) idempotency.push(`Idempotency-Key ${key} answered ${ids.size} different ids`);
    for (const id of ids) if (!queryById.has(id)) idempotency.push(`Idempotency-Key ${key}: id ${id} has no row`);
    repeated += 1;
  }
  results.push(
    result(
      'duplicate submissions (same Idempotency-Key) make one query',
      idempotency,
      `${repeated} keys, ${queries.length} rows`,
    ),
  );
  return results;
}
