import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PipelineDeps } from '../pipeline/deps.js';
import { callbackLookup, checkCallbackUrl, type ResolveHost } from './callback-url.js';
import { signWebhook } from './sign-webhook.js';

export interface WebhookSettings {
  /** HMAC secret callbacks are signed with. */
  signingSecret: string;
  /** Allow callbacks to loopback/private addresses (operators, tests). */
  allowPrivateTargets: boolean;
  timeoutMs: number;
  /** How host names resolve (tests); default DNS. */
  resolve?: ResolveHost;
}

/** Thrown to make the queue retry a delivery later. */
export class WebhookRetryError extends Error {
  override readonly name = 'WebhookRetryError';
}

/**
 * Delivers one callback, signed, and records the try. 2xx = delivered; 4xx other than 408/429 =
 * failed for good; anything else is retried with backoff until the last try.
 */
export async function deliverWebhook(
  deps: PipelineDeps,
  deliveryId: string,
  settings: WebhookSettings,
  options: { lastTry: boolean },
): Promise<string> {
  const { prisma } = deps;
  const delivery = await prisma.webhookDelivery.findUnique({ where: { id: deliveryId } });
  if (!delivery) return 'missing';
  if (delivery.status !== 'pending') return delivery.status;
  const target = {
    allowPrivate: settings.allowPrivateTargets,
    ...(settings.resolve === undefined ? {} : { resolve: settings.resolve }),
  };
  const check = await checkCallbackUrl(delivery.url, target);
  if (!check.ok) {
    await prisma.webhookDelivery.update({
      where: { id: deliveryId },
      data: { status: 'failed', lastError: check.message, attemptCount: { increment: 1 } },
    });
    return 'refused';
  }
  const body = JSON.stringify({ id: delivery.id, ...(delivery.payload as object) });
  const signature = signWebhook(settings.signingSecret, body, Math.floor(Date.now() / 1000));
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    statusCode = await postCallback(check.url, body, {
      headers: {
        'content-type': 'application/json',
        'user-agent': 'switchyard-webhooks/1',
        'switchyard-event': delivery.event,
        'switchyard-delivery': delivery.id,
        'switchyard-signature': signature,
      },
      timeoutMs: settings.timeoutMs,
      lookup: callbackLookup(target),
    });
  } catch (caught) {
    error = (caught as Error).message;
  }
  const delivered = statusCode !== null && statusCode >= 200 && statusCode < 300;
  const permanent =
    statusCode !== null && statusCode >= 400 && statusCode < 500 && statusCode !== 408 && statusCode !== 429;
  const status = delivered ? 'delivered' : permanent || options.lastTry ? 'failed' : 'pending';
  await prisma.webhookDelivery.update({
    where: { id: deliveryId },
    data: {
      status,
      attemptCount: { increment: 1 },
      lastStatusCode: statusCode,
      lastError: error ?? (delivered ? null : `HTTP ${statusCode}`),
      ...(delivered ? { deliveredAt: new Date() } : {}),
    },
  });
  if (status === 'pending') throw new WebhookRetryError(`callback ${deliveryId}: ${error ?? `HTTP ${statusCode}`}`);
  return status;
}

/**
 * POSTs a callback and returns the status code (redirects are not followed; the body is discarded).
 * The connection resolves its host through `lookup`, so it opens only to an address that was checked.
 */
function postCallback(
  url: URL,
  body: string,
  options: { headers: Record<string, string>; timeoutMs: number; lookup: ReturnType<typeof callbackLookup> },
): Promise<number> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = send(
      url,
      {
        method: 'POST',
        headers: { ...options.headers, 'content-length': Buffer.byteLength(body) },
        lookup: options.lookup as never,
        signal: AbortSignal.timeout(options.timeoutMs),
        agent: false,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
        // After 'end' this changes nothing; before it, the response was cut off.
        response.on('close', () => reject(new Error('the connection closed before the response ended')));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
