import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClientError, createApiClient } from './api-client.js';

function errorOf(action: () => unknown): ApiClientError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ApiClientError);
    return error as ApiClientError;
  }
  throw new Error('no error');
}

describe('createApiClient', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  it('refuses credentials in the API URL without echoing them, and points at SWITCHYARD_API_KEY', () => {
    const error = errorOf(() => createApiClient({ apiUrl: 'http://ops:PWsecret@127.0.0.1:3000', apiKey: 'sy_x' }));
    expect(error.code).toBe('credentials_in_api_url');
    expect(error.message).not.toContain('PWsecret');
    expect(error.message).not.toContain('ops');
    expect(error.message).not.toContain('does not answer');
    expect(error.message).toContain('SWITCHYARD_API_KEY');
    expect(error.message).toContain('http://127.0.0.1:3000');
  });

  it('refuses an API URL that is not http(s), has a query, or does not parse, echoing no secret', () => {
    expect(errorOf(() => createApiClient({ apiUrl: 'ftp://127.0.0.1', apiKey: 'k' })).code).toBe('invalid_api_url');
    const query = errorOf(() => createApiClient({ apiUrl: 'http://127.0.0.1:3000/?token=LEAK', apiKey: 'k' }));
    expect(query.code).toBe('invalid_api_url');
    expect(query.message).not.toContain('LEAK');
    const unparseable = errorOf(() => createApiClient({ apiUrl: 'http://ops:pa/ssLEAK@127.0.0.1', apiKey: 'k' }));
    expect(unparseable.code).toBe('invalid_api_url');
    expect(unparseable.message).not.toContain('LEAK');
  });

  it('talks to the API at a URL with a trailing slash, with the key as a bearer token', async () => {
    let seen: { url?: string; authorization?: string } = {};
    server = createServer((request, response) => {
      seen = { url: request.url, authorization: request.headers.authorization };
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ data: [], has_more: false }));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = createApiClient({ apiUrl: `http://127.0.0.1:${port}/`, apiKey: 'sy_test' });
    await expect(client.listBatches(5)).resolves.toEqual({ data: [], has_more: false });
    expect(seen).toEqual({ url: '/v1/batches?limit=5', authorization: 'Bearer sy_test' });
  });

  it('says the API does not answer when nothing listens at its address', async () => {
    server = createServer();
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    const client = createApiClient({ apiUrl: `http://127.0.0.1:${port}`, apiKey: 'sy_test' });
    const error = await client.listBatches(5).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiClientError);
    expect((error as ApiClientError).code).toBe('unreachable');
    expect((error as ApiClientError).message).toContain(`the API at http://127.0.0.1:${port} does not answer`);
  });
});
