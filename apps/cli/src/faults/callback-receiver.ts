import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One callback the receiver answered 2xx. */
export interface ReceivedCallback {
  queryId: string;
  event: string;
  status: string;
}

export interface CallbackReceiver {
  /** `http://127.0.0.1:<port>/hook` */
  url: string;
  /** Callbacks answered 2xx, in arrival order (a query's callback may come twice: delivery is at-least-once). */
  accepted: ReceivedCallback[];
  /** Requests answered 500 on purpose. */
  refused(): number;
  close(): Promise<void>;
}

/**
 * A webhook receiver that fails on purpose: the first request of every query's callback is answered
 * 500, and later ones are too with probability `failShare` (drawn per request); everything else 204.
 */
export async function startCallbackReceiver(options: {
  failShare: number;
  draw: () => number;
}): Promise<CallbackReceiver> {
  const accepted: ReceivedCallback[] = [];
  const seen = new Set<string>();
  let refused = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let payload: { event?: string; query?: { id?: string; status?: string } } = {};
      try {
        payload = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        response.writeHead(400).end();
        return;
      }
      const queryId = payload.query?.id ?? '';
      const first = !seen.has(queryId);
      seen.add(queryId);
      if (first || options.draw() < options.failShare) {
        refused += 1;
        response.writeHead(500).end('simulated receiver failure');
        return;
      }
      accepted.push({ queryId, event: payload.event ?? '', status: payload.query?.status ?? '' });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    accepted,
    refused: () => refused,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
