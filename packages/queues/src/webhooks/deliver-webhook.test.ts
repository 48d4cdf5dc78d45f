import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineDeps } from '../pipeline/deps.js';
import type { ResolveHost } from './callback-url.js';
import { deliverWebhook, WebhookRetryError } from './deliver-webhook.js';

let server: Server;
let port: number;
const received: { headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A delivery row held in memory, and the updates deliverWebhook makes to it. */
function fakeDeps(url: string) {
  const row = { id: 'd1', status: 'pending', url, event: 'query.completed', payload: { query: { id: 'q1' } } };
  const updates: Record<string, unknown>[] = [];
  const prisma = {
    webhookDelivery: {
      findUnique: async () => ({ ...row }),
      update: async ({ data }: { data: Record<string, unknown> }) => {
        updates.push(data);
        return row;
      },
    },
  };
  return { deps: { prisma } as unknown as PipelineDeps, updates };
}

const settings = (resolve: ResolveHost, allowPrivateTargets = false) => ({
  signingSecret: 'test-secret',
  allowPrivateTargets,
  timeoutMs: 2_000,
  resolve,
});

describe('deliverWebhook', () => {
  it('connects only to the address it checked: a name rebound to loopback after the check gets nowhere', async () => {
    // DNS rebinding: a public address for the check, loopback (where our server listens) for the connection.
    let lookups = 0;
    const rebinding: ResolveHost = async () => [
      lookups++ === 0 ? { address: '93.184.216.34', family: 4 } : { address: '127.0.0.1', family: 4 },
    ];
    const before = received.length;
    const { deps, updates } = fakeDeps(`http://hooks.example.test:${port}/hook`);
    await expect(deliverWebhook(deps, 'd1', settings(rebinding), { lastTry: false })).rejects.toBeInstanceOf(
      WebhookRetryError,
    );
    expect(lookups).toBe(2);
    expect(received.length).toBe(before);
    expect(updates.at(-1)).toMatchObject({ status: 'pending', lastStatusCode: null });
    expect(String(updates.at(-1)?.lastError)).toContain('resolves to an internal address');
  });

  it('posts the signed callback through the checked lookup', async () => {
    const { deps, updates } = fakeDeps(`http://hooks.example.test:${port}/hook`);
    const loopback: ResolveHost = async () => [{ address: '127.0.0.1', family: 4 }];
    // Private targets allowed by the operator: the name resolves (through the same lookup) to loopback.
    expect(await deliverWebhook(deps, 'd1', settings(loopback, true), { lastTry: false })).toBe('delivered');
    const last = received.at(-1);
    expect(JSON.parse(last?.body ?? '{}')).toEqual({ id: 'd1', query: { id: 'q1' } });
    expect(last?.headers['switchyard-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(last?.headers['switchyard-event']).toBe('query.completed');
    expect(updates.at(-1)).toMatchObject({ status: 'delivered', lastStatusCode: 204 });
  });

  it('refuses before any connection when the name resolves to an internal address at the check', async () => {
    const before = received.length;
    const { deps, updates } = fakeDeps(`http://hooks.example.test:${port}/hook`);
    const internal: ResolveHost = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ];
    expect(await deliverWebhook(deps, 'd1', settings(internal), { lastTry: false })).toBe('refused');
    expect(received.length).toBe(before);
    expect(updates.at(-1)).toMatchObject({ status: 'failed' });
  });
});
