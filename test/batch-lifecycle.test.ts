import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../packages/queues/src/webhooks/sign-webhook.js';
import { type Stack, startStack } from './support/stack.js';

// Batches through real API and worker processes on the simulated pool: a restart of both in the
// middle of a batch, and a cancel.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    SWITCHYARD_LOCK_DURATION_MS: '3000',
    SWITCHYARD_STALLED_INTERVAL_MS: '1000',
    SWITCHYARD_RECONCILE_INTERVAL_MS: '500',
    SWITCHYARD_RECONCILE_QUEUED_AFTER_MS: '1500',
    SWITCHYARD_RECONCILE_STALLED_AFTER_MS: '4000',
    // Few jobs at once, so a batch of a few hundred lines takes some seconds.
    SWITCHYARD_CASCADE_CONCURRENCY: '8',
    SWITCHYARD_ROUTER_CONCURRENCY: '1',
  });
});
afterAll(async () => {
  await stack?.stop();
});

async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: stack.database.url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

function line(index: number, extra = ''): string {
  return JSON.stringify({
    custom_id: `r-${index}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: {
      model: 'switchyard',
      messages: [{ role: 'user', content: `What is ${index} + ${index + 5}?${extra}` }],
      metadata: { answerType: 'number' },
    },
  });
}

async function submit(lines: string[], metadata?: Record<string, string>): Promise<string> {
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([`${lines.join('\n')}\n`]), 'input.jsonl');
  const upload = await fetch(`${stack.apiUrl}/v1/files`, { method: 'POST', headers: stack.auth, body: form });
  expect(upload.status).toBe(200);
  const file = (await upload.json()) as { id: string };
  const created = await stack.post('/v1/batches', {
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
    ...(metadata ? { metadata } : {}),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  return created.body.id as string;
}

interface BatchView {
  status: string;
  request_counts: { total: number; completed: number; failed: number };
  output_file_id: string | null;
  error_file_id: string | null;
}

async function batchOf(id: string): Promise<BatchView> {
  return (await stack.get(`/v1/batches/${id}`)).body as unknown as BatchView;
}

async function waitFor(id: string, done: (batch: BatchView) => boolean, timeoutMs = 150_000): Promise<BatchView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await batchOf(id);
    if (done(batch)) return batch;
    if (Date.now() > deadline) throw new Error(`batch ${id}: ${JSON.stringify(batch)}\n${stack.logs().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function download(fileId: string): Promise<{ custom_id: string; error: { code: string } | null }[]> {
  const response = await fetch(`${stack.apiUrl}/v1/files/${fileId}/content`, { headers: stack.auth });
  expect(response.status).toBe(200);
  return (await response.text())
    .split('\n')
    .filter(Boolean)
    .map((text) => JSON.parse(text));
}

const ended = (batch: BatchView) => ['completed', 'failed', 'cancelled'].includes(batch.status);

describe('batches across restarts and cancels', () => {
  it('survives the API and the worker being killed in the middle', async () => {
    const total = 60;
    const id = await submit(Array.from({ length: total }, (_, index) => line(index, ' [[sim:latencyMs=30]]')));
    const midway = await waitFor(id, (batch) => batch.request_counts.completed >= 5);
    expect(midway.request_counts.completed).toBeLessThan(total);
    const [worker] = stack.workers();
    await worker?.kill('SIGKILL');
    await stack.killApi('SIGKILL');
    await stack.startApi();
    await stack.startWorker();
    const batch = await waitFor(id, ended);
    expect(batch.status).toBe('completed');
    expect(batch.request_counts.total).toBe(total);
    expect(batch.request_counts.completed + batch.request_counts.failed).toBe(total);
    const output = await download(batch.output_file_id as string);
    const failed = batch.error_file_id ? await download(batch.error_file_id) : [];
    const seen = [...output, ...failed].map((row) => row.custom_id).sort();
    expect(seen).toEqual(Array.from({ length: total }, (_, index) => `r-${index}`).sort());
    const [rows] = await sql<{ queries: string; unfinished: string }>(
      `SELECT count(*)::text AS queries, count(*) FILTER (WHERE status NOT IN ('completed', 'failed'))::text AS unfinished
       FROM queries WHERE batch_id = $1`,
      [id.replace('batch_', '')],
    );
    expect(rows).toEqual({ queries: String(total), unfinished: '0' });
  }, 240_000);

  it('stops queued work on cancel; running queries finish and are billed; the batch ends cancelled', async () => {
    const total = 300;
    const id = await submit(Array.from({ length: total }, (_, index) => line(1000 + index, ' [[sim:latencyMs=40]]')));
    await waitFor(id, (batch) => batch.request_counts.completed >= 5);
    const cancel = await stack.post(`/v1/batches/${id}/cancel`, {});
    expect(cancel.status).toBe(200);
    expect(['cancelling', 'cancelled']).toContain(cancel.body.status);
    const batch = await waitFor(id, ended);
    expect(batch.status).toBe('cancelled');
    expect(batch.request_counts.completed).toBeLessThan(total);
    // Every line is counted: what ran, what failed, what was cancelled before it started.
    expect(batch.request_counts.completed + batch.request_counts.failed).toBe(total);
    const uuid = id.replace('batch_', '');
    const [rows] = await sql<{
      cancelled: string;
      unfinished: string;
      cancelled_with_calls: string;
      completed: string;
    }>(
      `SELECT count(*) FILTER (WHERE error_code = 'batch_cancelled')::text AS cancelled,
              count(*) FILTER (WHERE status NOT IN ('completed', 'failed'))::text AS unfinished,
              count(*) FILTER (WHERE error_code = 'batch_cancelled' AND EXISTS (SELECT 1 FROM attempts a WHERE a.query_id = q.id))::text AS cancelled_with_calls,
              count(*) FILTER (WHERE status = 'completed')::text AS completed
       FROM queries q WHERE batch_id = $1`,
      [uuid],
    );
    expect(Number(rows?.cancelled)).toBeGreaterThan(0);
    expect(rows?.unfinished).toBe('0');
    // A cancelled query never reached a model.
    expect(rows?.cancelled_with_calls).toBe('0');
    expect(Number(rows?.completed)).toBe(batch.request_counts.completed);
    const errors = await download(batch.error_file_id as string);
    expect(errors.filter((row) => row.error?.code === 'batch_cancelled')).toHaveLength(Number(rows?.cancelled));
    // Nothing runs after the end: the ledger holds no call still started.
    const [open] = await sql<{ started: string }>(
      `SELECT count(*)::text AS started FROM attempts a JOIN queries q ON q.id = a.query_id
       WHERE q.batch_id = $1 AND a.outcome = 'started'`,
      [uuid],
    );
    expect(open?.started).toBe('0');
    // Cancelling again is harmless; cancelling an ended batch is a clear 409.
    const again = await stack.post(`/v1/batches/${id}/cancel`, {});
    expect(again.status).toBe(409);
    expect((again.body.error as { code: string }).code).toBe('batch_not_cancellable');
  }, 240_000);

  it('fires the batch callback once, signed like query callbacks, when the batch ends', async () => {
    const received: { body: string; signature: string }[] = [];
    const server: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        received.push({ body, signature: String(request.headers['switchyard-signature']) });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      const id = await submit([line(5000), line(5001), '{oops'], { callback_url: url });
      const batch = await waitFor(id, ended);
      expect(batch.status).toBe('completed');
      const deadline = Date.now() + 20_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(received).toHaveLength(1);
      const [delivery] = received;
      expect(
        verifyWebhookSignature('e2e-webhook-secret-0123456789', delivery?.body ?? '', delivery?.signature ?? ''),
      ).toBe(true);
      const payload = JSON.parse(delivery?.body ?? '{}') as {
        event: string;
        batch: { id: string; status: string; request_counts: object };
      };
      expect(payload.event).toBe('batch.completed');
      expect(payload.batch).toMatchObject({
        id,
        status: 'completed',
        request_counts: { total: 3, completed: 2, failed: 1 },
      });
    } finally {
      server.close();
    }
  }, 120_000);

  it('expires a batch past its completion window: queued requests stop, the batch ends expired', async () => {
    // Enough lines that many are still queued when the window closes (one router job at a time): with
    // 80, a fast pipeline sometimes finished them all before the reconciler saw the expiry.
    const id = await submit(Array.from({ length: 300 }, (_, index) => line(7000 + index, ' [[sim:latencyMs=40]]')));
    await waitFor(id, (batch) => batch.request_counts.completed >= 1);
    await sql("UPDATE batches SET expires_at = now() - interval '1 second' WHERE id = $1", [id.replace('batch_', '')]);
    const batch = await waitFor(id, (view) => ['expired', 'completed'].includes(view.status));
    expect(batch.status).toBe('expired');
    const errors = await download(batch.error_file_id as string);
    expect(errors.some((row) => row.error?.code === 'batch_expired')).toBe(true);
  }, 240_000);
});
