import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerBatchCommands } from './batches.js';

// A stand-in API: files are stored, and every batch is refused as the API refuses an internal callback.
let server: Server;
let apiUrl: string;
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    request.resume();
    request.on('end', () => {
      response.setHeader('content-type', 'application/json');
      if (request.method === 'POST' && request.url === '/v1/files') {
        response.end(JSON.stringify({ id: 'file-1', bytes: 10 }));
      } else if (request.method === 'POST' && request.url === '/v1/batches') {
        response.statusCode = 400;
        response.end(
          JSON.stringify({ error: { code: 'callback_url_not_allowed', message: 'metadata.callback_url host …' } }),
        );
      } else if (request.method === 'DELETE' && request.url === '/v1/files/file-1') {
        response.end(JSON.stringify({ id: 'file-1', object: 'file', deleted: true }));
      } else {
        response.statusCode = 404;
        response.end(JSON.stringify({ error: { code: 'not_found', message: 'no such route' } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  requests.length = 0;
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

async function submit(...args: string[]): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'sy-submit-'));
  const file = path.join(folder, 'in.jsonl');
  await writeFile(file, '{"custom_id":"a"}\n');
  const stderr: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  const program = new Command().exitOverride();
  registerBatchCommands(program);
  await program.parseAsync(['submit', file, '--api-url', apiUrl, '--api-key', 'sy_test', ...args], { from: 'user' });
  return stderr.join('');
}

describe('batches submit', () => {
  it('deletes the file it uploaded when the batch is refused', async () => {
    const stderr = await submit('--metadata', 'callback_url=http://127.0.0.1/x');
    expect(process.exitCode).toBe(2);
    expect(stderr).toMatch(/metadata\.callback_url/);
    // Each refused retry used to leave another uploaded file behind.
    expect(requests).toEqual(['POST /v1/files', 'POST /v1/batches', 'DELETE /v1/files/file-1']);
  });

  it('refuses --out and --errors without --wait before uploading anything', async () => {
    for (const flag of ['--out', '--errors']) {
      const stderr = await submit(flag, 'x.jsonl');
      expect(process.exitCode).toBe(2);
      expect(stderr).toMatch(/--out and --errors go with --wait/);
    }
    expect(requests).toEqual([]);
  });
});
