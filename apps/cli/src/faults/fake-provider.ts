import { createHash } from 'node:crypto';
import { sendJson, startWireServer } from '@switchyard/providers/testing';
import { seededRandom as random } from '@switchyard/training';

/** A model the fake serves, with the prices it bills at (the registry the workers load has the same). */
export interface FakeModel {
  id: string;
  inputUsdPerMTok: number;
  outputUsdPerMTok: number;
  /** Share of prompts it answers correctly (decided by a hash of model and prompt: stable across retries). */
  accuracy: number;
  tier: number;
}

export const FAKE_MODELS: readonly FakeModel[] = [
  { id: 'fault-small', inputUsdPerMTok: 0.1, outputUsdPerMTok: 0.4, accuracy: 0.6, tier: 1 },
  { id: 'fault-medium', inputUsdPerMTok: 1, outputUsdPerMTok: 4, accuracy: 0.85, tier: 2 },
  { id: 'fault-large', inputUsdPerMTok: 5, outputUsdPerMTok: 15, accuracy: 0.97, tier: 3 },
];

/** One request the fake answered: what it billed, for comparison with the ledger. */
export interface FakeRequest {
  model: string;
  /** The user turn (the query's prompt). */
  prompt: string;
  status: number;
  requestId: string;
  /** What the provider bills for this request, pico-USD: usage on 200, the input on 5xx, nothing on 429. */
  billedPicoUsd: bigint;
  /** When the request arrived, ms since the epoch. */
  receivedAt: number;
}

export interface FakeProviderSettings {
  /** Share of requests refused with 429 and `retry-after` (seconds). */
  rateLimitedShare: number;
  retryAfterSeconds: number;
  /** Share of requests answered 500. */
  serverErrorShare: number;
  /** Latency of every request, ms: uniform in [min, max]. */
  latencyMs: [number, number];
  /** Seed of the fault and latency draws. */
  seed: number;
}

export interface FakeProvider {
  /** `http://127.0.0.1:<port>/v1` */
  baseUrl: string;
  requests: FakeRequest[];
  counts(): { requests: number; rateLimited: number; serverErrors: number; answered: number };
  close(): Promise<void>;
}

function share(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 4_294_967_296;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('');
  return '';
}

/**
 * A provider speaking OpenAI's Chat Completions wire protocol (the workers reach it through the
 * official SDK, as they would a real one), answering `What is A + B?` with the sum (or, for a share of
 * prompts per model, a wrong sum), reporting usage honestly (a quarter of the input's UTF-8 bytes, the
 * tokens of the text sent), and misbehaving on purpose: 429 with `retry-after`, 500.
 */
export async function startFakeProvider(settings: FakeProviderSettings): Promise<FakeProvider> {
  const draw = random(settings.seed);
  const models = new Map(FAKE_MODELS.map((model) => [model.id, model]));
  const requests: FakeRequest[] = [];
  let counter = 0;
  const server = await startWireServer(async (request, response) => {
    const body = request.body as { model: string; messages: { role: string; content: unknown }[] };
    const model = models.get(body.model);
    counter += 1;
    const requestId = `req_fault_${counter.toString().padStart(7, '0')}`;
    if (model === undefined || !Array.isArray(body.messages)) {
      sendJson(response, 404, { error: { message: `no model ${body.model}`, type: 'invalid_request_error' } });
      return;
    }
    const receivedAt = Date.now();
    const prompt = textOf(body.messages.at(-1)?.content);
    const inputTokens = Math.ceil(Buffer.byteLength(body.messages.map((m) => textOf(m.content)).join('')) / 4);
    const [low, high] = settings.latencyMs;
    await new Promise((resolve) => setTimeout(resolve, low + draw() * (high - low)));
    const fault = draw();
    // Pico-USD per token = USD per million tokens × 1e6.
    const record = (status: number, outputTokens: number) => {
      const billed =
        status === 200
          ? BigInt(inputTokens) * BigInt(Math.round(model.inputUsdPerMTok * 1e6)) +
            BigInt(outputTokens) * BigInt(Math.round(model.outputUsdPerMTok * 1e6))
          : status >= 500
            ? BigInt(inputTokens) * BigInt(Math.round(model.inputUsdPerMTok * 1e6))
            : 0n;
      requests.push({
        model: model.id,
        prompt,
        status,
        requestId,
        billedPicoUsd: billed,
        receivedAt,
      });
    };
    if (fault < settings.rateLimitedShare) {
      record(429, 0);
      sendJson(
        response,
        429,
        { error: { message: 'Rate limit reached (simulated)', type: 'requests', code: 'rate_limit_exceeded' } },
        { 'retry-after': String(settings.retryAfterSeconds), 'x-request-id': requestId },
      );
      return;
    }
    if (fault < settings.rateLimitedShare + settings.serverErrorShare) {
      record(500, 0);
      sendJson(
        response,
        500,
        { error: { message: 'The server had an error (simulated)', type: 'server_error' } },
        { 'x-request-id': requestId },
      );
      return;
    }
    const operands = /What is (\d+) \+ (\d+)\?/.exec(prompt);
    const sum = operands ? Number(operands[1]) + Number(operands[2]) : 0;
    const right = share(`${model.id}\n${prompt}`) < model.accuracy;
    const text = `The answer is ${right ? sum : sum + 1 + Math.floor(share(`wrong\n${model.id}\n${prompt}`) * 3)}.`;
    const outputTokens = Math.ceil(Buffer.byteLength(text) / 4);
    record(200, outputTokens);
    sendJson(
      response,
      200,
      {
        id: `chatcmpl-${requestId}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: model.id,
        choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'stop' }],
        usage: {
          prompt_tokens: inputTokens,
          completion_tokens: outputTokens,
          total_tokens: inputTokens + outputTokens,
        },
      },
      { 'x-request-id': requestId },
    );
  });
  return {
    baseUrl: `${server.url}/v1`,
    requests,
    counts() {
      return {
        requests: requests.length,
        rateLimited: requests.filter((request) => request.status === 429).length,
        serverErrors: requests.filter((request) => request.status === 500).length,
        answered: requests.filter((request) => request.status === 200).length,
      };
    },
    close: () => server.close(),
  };
}
