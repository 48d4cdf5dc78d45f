import { describe, expect, it } from 'vitest';
import { parseBatchLine } from './batch-line.js';
import { renderChatCompletion, renderChatCompletionChunks } from './chat-completion.js';
import { parseChatRequest } from './chat-request.js';
import { formatBatchId, formatFileId, parseBatchId, parseFileId } from './ids.js';
import { parseModelSelection } from './model-selection.js';

const uuid = '7d9c1a64-3b1f-4c52-9a5e-2f6b8d0e4c11';

describe('ids', () => {
  it('round-trips file and batch ids and refuses anything else', () => {
    expect(parseFileId(formatFileId(uuid))).toBe(uuid);
    expect(parseBatchId(formatBatchId(uuid))).toBe(uuid);
    expect(parseFileId(formatBatchId(uuid))).toBeNull();
    expect(parseBatchId(`batch_${uuid}x`)).toBeNull();
  });
});

describe('parseModelSelection', () => {
  it('routes "switchyard", picks presets, pins other ids, refuses unknown presets naming the known ones', () => {
    expect(parseModelSelection('switchyard')).toEqual({ ok: true, selection: { kind: 'route' } });
    expect(parseModelSelection('switchyard/max')).toEqual({ ok: true, selection: { kind: 'preset', preset: 'max' } });
    expect(parseModelSelection('gpt-4o-mini')).toEqual({
      ok: true,
      selection: { kind: 'pinned', model: 'gpt-4o-mini' },
    });
    const unknown = parseModelSelection('switchyard/cheap');
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.message).toContain('switchyard/economy');
    expect(parseModelSelection('has space').ok).toBe(false);
  });
});

describe('parseChatRequest', () => {
  it('turns system, earlier turns and the last user turn into a query draft', () => {
    const parsed = parseChatRequest({
      model: 'switchyard/economy',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is ' },
            { type: 'text', text: '2 + 2?' },
          ],
        },
      ],
      max_tokens: 50,
      temperature: 0.2,
      metadata: { answerType: 'number' },
      user: 'u-1',
      future_field: true,
    });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.draft).toMatchObject({ prompt: 'What is 2 + 2?', system: 'Be brief.', stream: false });
    expect(parsed.draft.options).toEqual({
      metadata: { answerType: 'number' },
      preset: 'economy',
      maxOutputTokens: 50,
      temperature: 0.2,
      conversation: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'What is 2 + 2?' },
      ],
      openai: { model: 'switchyard/economy', user: 'u-1' },
    });
  });

  it('names the field at fault', () => {
    const user = [{ role: 'user', content: 'x' }];
    const cases: [unknown, string, string | null][] = [
      [{ model: 'switchyard', messages: [{ role: 'user', content: '  ' }] }, 'invalid_request', 'messages'],
      [{ model: 'switchyard', messages: user, n: 3 }, 'unsupported_parameter', 'n'],
      [{ model: 'switchyard/none', messages: user }, 'model_not_found', 'model'],
      [{ model: 'switchyard', messages: user, max_completion_tokens: 1.5 }, 'invalid_request', 'max_completion_tokens'],
      // A text part without string text used to throw (the API answered 500).
      [
        { model: 'switchyard', messages: [{ role: 'user', content: [{ type: 'text' }] }] },
        'invalid_request',
        'messages[0].content[0].text',
      ],
      [
        { model: 'switchyard', messages: [{ role: 'user', content: [{ type: 'image_url' }] }] },
        'invalid_request',
        'messages[0].content[0]',
      ],
      [
        { model: 'switchyard', messages: user, metadata: { judgeTask: 'bogus' } },
        'invalid_request',
        'metadata.judgeTask',
      ],
    ];
    for (const [body, code, param] of cases) {
      const parsed = parseChatRequest(body);
      expect(parsed.ok ? null : [parsed.code, parsed.param]).toEqual([code, param]);
    }
  });
});

describe('parseBatchLine', () => {
  const body = { model: 'switchyard', messages: [{ role: 'user', content: 'What is 1 + 1?' }] };
  it('accepts a chat completion line and reports each kind of bad line with a code', () => {
    expect(
      parseBatchLine(JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body })).ok,
    ).toBe(true);
    const cases: [string, string][] = [
      ['{"custom_id":', 'invalid_json'],
      ['[1,2]', 'invalid_line'],
      [JSON.stringify({ url: '/v1/chat/completions', body }), 'missing_custom_id'],
      [JSON.stringify({ custom_id: 'a', url: '/v1/embeddings', body }), 'invalid_url'],
      [JSON.stringify({ custom_id: 'a', method: 'GET', url: '/v1/chat/completions', body }), 'invalid_method'],
      [JSON.stringify({ custom_id: 'a', url: '/v1/chat/completions', body: { model: 'switchyard' } }), 'invalid_body'],
      [
        JSON.stringify({ custom_id: 'a', url: '/v1/chat/completions', body: { ...body, stream: true } }),
        'unsupported_parameter',
      ],
      [
        JSON.stringify({ custom_id: 'a', url: '/v1/chat/completions', body: { ...body, model: 'switchyard/x' } }),
        'model_not_found',
      ],
      [
        JSON.stringify({
          custom_id: 'a',
          url: '/v1/chat/completions',
          body: { ...body, messages: [{ role: 'user', content: 'a\u0000b' }] },
        }),
        'invalid_text',
      ],
    ];
    for (const [line, code] of cases) {
      const parsed = parseBatchLine(line);
      expect(parsed.ok ? 'ok' : parsed.code, line).toBe(code);
    }
  });

  it('reports a text part without string text, and a line nested thousands deep, as that line’s error', () => {
    // Both used to throw out of parseBatchLine (a zod error; a stack overflow) and stall the batch.
    for (const part of [{ type: 'text' }, { type: 'text', text: 7 }]) {
      const line = JSON.stringify({
        custom_id: 'a',
        url: '/v1/chat/completions',
        body: { ...body, messages: [{ role: 'user', content: [part] }] },
      });
      expect(parseBatchLine(line)).toEqual({
        ok: false,
        customId: 'a',
        code: 'invalid_body',
        message: 'body.messages[0].content[0].text: a text content part needs a string "text"',
      });
    }
    const deep = `{"custom_id":"a","url":"/v1/chat/completions","x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const parsed = parseBatchLine(deep);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.code).toBe('invalid_line');
    expect(parsed.ok ? '' : parsed.message).toMatch(/^x(\[0\]){99}: nested deeper than 100 levels$/);
    // 100 levels is the limit, not less.
    const fine = { ...body, extra: JSON.parse(`${'['.repeat(98)}1${']'.repeat(98)}`) };
    expect(parseBatchLine(JSON.stringify({ custom_id: 'a', url: '/v1/chat/completions', body: fine })).ok).toBe(true);
  });
});

describe('chat.completion rendering', () => {
  const query = {
    queryId: uuid,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    answer: 'x'.repeat(150),
    answerModel: 'sim-small',
    requestedModel: 'switchyard',
    costUsd: '0.000123',
    outcome: 'accepted',
    finishReason: 'length',
    attempts: [
      {
        role: 'answer',
        model: 'sim-small',
        stage: 0,
        slot: 0,
        inputTokens: 10,
        outputTokens: 20,
        costUsd: '0.0001',
        latencyMs: 5,
        outcome: 'succeeded',
      },
      {
        role: 'judge',
        model: 'sim-large',
        stage: 0,
        slot: 0,
        inputTokens: 30,
        outputTokens: 2,
        costUsd: '0.000023',
        latencyMs: 7,
        outcome: 'succeeded',
      },
    ],
  };
  it('sums usage over every call and keeps Switchyard’s details beside OpenAI’s fields', () => {
    const completion = renderChatCompletion(query);
    expect(completion).toMatchObject({
      id: `chatcmpl-${uuid}`,
      object: 'chat.completion',
      created: 1767225600,
      model: 'sim-small',
      usage: { prompt_tokens: 40, completion_tokens: 22, total_tokens: 62 },
      switchyard: { cost_usd: '0.000123', model: 'sim-small', query_id: uuid },
    });
    expect(completion.choices[0]?.finish_reason).toBe('length');
  });
  it('streams the answer as chunks that add up to it, then the finish reason, then usage', () => {
    const chunks = renderChatCompletionChunks(query, { includeUsage: true }) as {
      choices: { delta: { content?: string }; finish_reason: string | null }[];
      usage?: { total_tokens: number };
    }[];
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(query.answer);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('length');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: 62 } });
  });
});
