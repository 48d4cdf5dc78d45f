import type { ServerResponse } from 'node:http';
import { countTokens } from '@switchyard/providers';
import { sendJson, startWireServer, type WireServer } from '@switchyard/providers/testing';

/**
 * Local servers speaking the OpenAI Chat Completions and Anthropic Messages protocols, for end-to-end
 * tests through the official SDKs. Answer requests are answered with a text naming the model; judge
 * requests (OpenAI `response_format: json_schema`, Anthropic forced tool call) get a verdict chosen by
 * directives in the question, which the judge prompt quotes:
 * - `[judge:<model>=pass|fail|malformed|error|flaky]` — that judge model's verdict on answers of the
 *   model named in the directive's tail (`[judge:judge-gpt=fail@small-model]`), or on every answer;
 * - `[talk-to-limit]` — every answer uses its whole output limit (finish reason length).
 * Usage is reported honestly: OpenAI-family input tokens with o200k_base plus OpenAI's message framing,
 * other models a quarter of the UTF-8 bytes; output tokens of the text sent (or exactly the limit).
 */
export interface JudgeFakes {
  openai: WireServer;
  anthropic: WireServer;
  /** Every request either fake received, with the usage it reported and its request id. */
  calls: FakeCall[];
  close(): Promise<void>;
}

export interface FakeCall {
  server: 'openai' | 'anthropic';
  model: string;
  judge: boolean;
  /** The output limit the request carried (max_tokens / max_completion_tokens), or null. */
  limit: number | null;
  inputTokens: number;
  outputTokens: number;
  requestId: string;
  status: number;
}

type Verdict = 'pass' | 'fail' | 'malformed' | 'error' | 'flaky';

interface Message {
  role: string;
  content: unknown;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((block) => (typeof block?.text === 'string' ? (block.text as string) : '')).join('');
  }
  return '';
}

/** The directive for `judgeModel` in the judge's user turn, if it applies to the answer it quotes. */
function directiveFor(judgeModel: string, userText: string): Verdict | null {
  const answer = /<answer>\n([\s\S]*?)\n<\/answer>/.exec(userText)?.[1] ?? '';
  for (const match of userText.matchAll(/\[judge:([\w.-]+)=(pass|fail|malformed|error|flaky)(?:@([\w.-]+))?\]/g)) {
    const [, model, verdict, about] = match;
    if (model !== judgeModel) continue;
    if (about !== undefined && !answer.includes(`Answer by ${about}`)) continue;
    return verdict as Verdict;
  }
  return null;
}

const flakyServed = new Set<string>();

export async function startJudgeFakes(): Promise<JudgeFakes> {
  const calls: FakeCall[] = [];
  let counter = 0;
  const nextId = (prefix: string) => {
    counter += 1;
    return `${prefix}_${counter.toString().padStart(6, '0')}`;
  };

  const openai = await startWireServer((request, response) => {
    const body = request.body as {
      model: string;
      messages: Message[];
      max_tokens?: number;
      max_completion_tokens?: number;
      response_format?: { type: string };
    };
    const judge = body.response_format?.type === 'json_schema';
    const limit = body.max_completion_tokens ?? body.max_tokens ?? null;
    const openaiFamily = body.model.startsWith('gpt-');
    const inputTokens = openaiFamily
      ? body.messages.reduce((sum, message) => sum + 3 + countTokens(textOf(message.content), 'o200k_base'), 3)
      : Math.ceil(Buffer.byteLength(body.messages.map((message) => textOf(message.content)).join('')) / 4);
    const requestId = nextId('req');
    const userText = textOf(body.messages.at(-1)?.content);
    const reply = replyFor(body.model, judge, userText, limit, 'openai');
    calls.push({
      server: 'openai',
      model: body.model,
      judge,
      limit,
      inputTokens,
      outputTokens: reply.outputTokens,
      requestId,
      status: reply.status,
    });
    if (reply.status !== 200) {
      sendJson(
        response,
        reply.status,
        { error: { message: 'simulated failure', type: 'invalid_request_error', param: null, code: null } },
        { 'x-request-id': requestId },
      );
      return;
    }
    sendJson(
      response,
      200,
      {
        id: `chatcmpl-${requestId}`,
        object: 'chat.completion',
        created: 1_741_569_952,
        model: body.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: reply.text, refusal: null },
            finish_reason: reply.truncated ? 'length' : 'stop',
          },
        ],
        usage: {
          prompt_tokens: inputTokens,
          completion_tokens: reply.outputTokens,
          total_tokens: inputTokens + reply.outputTokens,
        },
      },
      { 'x-request-id': requestId },
    );
  });

  const anthropic = await startWireServer((request, response: ServerResponse) => {
    const body = request.body as {
      model: string;
      messages: Message[];
      system?: string;
      max_tokens: number;
      tools?: { name: string }[];
      tool_choice?: { type: string; name: string };
    };
    const judge = body.tool_choice?.type === 'tool';
    const text = [body.system ?? '', ...body.messages.map((message) => textOf(message.content))].join('');
    // The tool-use system prompt Anthropic adds (about 300 tokens) and the tool definition.
    const inputTokens =
      Math.ceil(Buffer.byteLength(text) / 4) + (judge ? 300 + Math.ceil(JSON.stringify(body.tools).length / 4) : 0);
    const requestId = nextId('req_011C');
    const userText = textOf(body.messages.at(-1)?.content);
    const reply = replyFor(body.model, judge, userText, body.max_tokens, 'anthropic');
    calls.push({
      server: 'anthropic',
      model: body.model,
      judge,
      limit: body.max_tokens ?? null,
      inputTokens,
      outputTokens: reply.outputTokens,
      requestId,
      status: reply.status,
    });
    if (reply.status !== 200) {
      sendJson(
        response,
        reply.status,
        { type: 'error', error: { type: 'invalid_request_error', message: 'simulated failure' } },
        { 'request-id': requestId },
      );
      return;
    }
    const content =
      judge && reply.tool !== undefined
        ? [{ type: 'tool_use', id: `toolu_${requestId}`, name: body.tool_choice?.name, input: reply.tool }]
        : [{ type: 'text', text: reply.text }];
    sendJson(
      response,
      200,
      {
        id: `msg_${requestId}`,
        type: 'message',
        role: 'assistant',
        model: body.model,
        content,
        stop_reason: reply.truncated ? 'max_tokens' : judge ? 'tool_use' : 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: reply.outputTokens },
      },
      { 'request-id': requestId },
    );
  });

  return {
    openai,
    anthropic,
    calls,
    async close() {
      await Promise.all([openai.close(), anthropic.close()]);
    },
  };
}

interface Reply {
  status: number;
  text: string;
  /** Anthropic judges: the forced tool call's input (absent = answer in text, which is malformed). */
  tool?: unknown;
  outputTokens: number;
  truncated: boolean;
}

function replyFor(
  model: string,
  judge: boolean,
  userText: string,
  limit: number | null,
  server: 'openai' | 'anthropic',
): Reply {
  if (!judge) {
    if (userText.includes('[talk-to-limit]') && limit !== null) {
      return { status: 200, text: 'word '.repeat(limit).trim(), outputTokens: limit, truncated: true };
    }
    const text = `Answer by ${model}: a careful reply to the request.`;
    return { status: 200, text, outputTokens: countTokens(text, 'o200k_base'), truncated: false };
  }
  const directive = directiveFor(model, userText) ?? 'pass';
  if (directive === 'error') return { status: 400, text: '', outputTokens: 0, truncated: false };
  if (directive === 'flaky') {
    // One 500 per judged answer, then a pass: the retry is a second billed request.
    const key = `${model}:${/<answer>\n([\s\S]*?)\n<\/answer>/.exec(userText)?.[1] ?? ''}`;
    if (!flakyServed.has(key)) {
      flakyServed.add(key);
      return { status: 500, text: '', outputTokens: 0, truncated: false };
    }
  }
  const document =
    directive === 'fail'
      ? { verdict: 'fail', confidence: 0.9, reason: 'misses part of the request' }
      : directive === 'malformed'
        ? { verdict: 'looks fine', confidence: 'high' }
        : { verdict: 'pass', confidence: 0.97, reason: 'does what was asked' };
  const text = JSON.stringify(document);
  const outputTokens = countTokens(text, 'o200k_base') + 4;
  if (server === 'anthropic') return { status: 200, text, tool: document, outputTokens, truncated: false };
  return { status: 200, text, outputTokens, truncated: false };
}

/** The fake calls made for one query, found by the request ids the ledger recorded. */
export function callsOf(fakes: JudgeFakes, requestIds: readonly string[]): FakeCall[] {
  const wanted = new Set(requestIds);
  return fakes.calls.filter((call) => wanted.has(call.requestId));
}
