import { describe, expect, it } from 'vitest';
import { createMockModelEntry } from '../testing/mock-language-model.js';
import { countTokens, inputTokenUpperBound, tokenizerFor } from './input-token-bound.js';

const openai = (model: string) => createMockModelEntry({ id: model, provider: 'openai', model });

describe('input token bound', () => {
  it('uses OpenAI tokenizers only for OpenAI model families, bytes for everything else', () => {
    expect(tokenizerFor(openai('gpt-4o-mini'))).toBe('o200k_base');
    expect(tokenizerFor(openai('o3-mini'))).toBe('o200k_base');
    expect(tokenizerFor(openai('gpt-4-1106-preview'))).toBe('cl100k_base');
    expect(tokenizerFor(openai('llama3.1:8b'))).toBe('bytes');
    expect(tokenizerFor(createMockModelEntry({ provider: 'anthropic', model: 'claude-3-5-haiku' }))).toBe('bytes');
    expect(tokenizerFor({ ...openai('gpt-4o'), tokenizer: 'bytes' })).toBe('bytes');
  });

  it('counts o200k tokens exactly and treats special-token text as plain text', () => {
    expect(countTokens('Hello world', 'o200k_base')).toBe(2);
    expect(countTokens('<|endoftext|>', 'o200k_base')).toBeGreaterThan(1);
    expect(countTokens('héllo 中', 'bytes')).toBe(Buffer.byteLength('héllo 中'));
  });

  it('bounds a request by its content plus framing, and counts a structured-output schema', () => {
    const entry = openai('gpt-4o');
    const plain = inputTokenUpperBound(entry, { system: 'Be brief.', prompt: 'What is 17 + 25?' });
    const content = countTokens('Be brief.', 'o200k_base') + countTokens('What is 17 + 25?', 'o200k_base');
    expect(plain.tokens).toBeGreaterThan(content);
    expect(plain.tokens).toBeLessThan(content + 64);
    const schema = { type: 'object', properties: { verdict: { type: 'string' } } };
    const structured = inputTokenUpperBound(entry, {
      prompt: 'What is 17 + 25?',
      responseFormat: { type: 'json', schema, name: 'verdict' },
    });
    expect(structured.tokens).toBeGreaterThan(countTokens(JSON.stringify(schema), 'o200k_base'));
    const claude = createMockModelEntry({ provider: 'anthropic', model: 'claude-3-5-haiku' });
    const tool = inputTokenUpperBound(claude, {
      prompt: 'x',
      responseFormat: { type: 'json', schema, name: 'verdict' },
    });
    expect(tool.tokens).toBeGreaterThan(512);
  });

  it('never counts fewer tokens than bytes for a byte-bounded model, whatever the text', () => {
    const entry = createMockModelEntry();
    for (const text of ['', 'a', '中文字符', '🙂'.repeat(10), 'x'.repeat(1000)]) {
      expect(inputTokenUpperBound(entry, { prompt: text }).tokens).toBeGreaterThanOrEqual(Buffer.byteLength(text));
    }
  });
});
