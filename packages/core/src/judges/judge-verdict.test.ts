import { describe, expect, it } from 'vitest';
import { checkAnswerFormat } from './format-check.js';
import { parseJudgeVerdict, verdictScore } from './judge-verdict.js';

describe('parseJudgeVerdict', () => {
  it('accepts exactly the verdict document', () => {
    const parsed = parseJudgeVerdict(' {"verdict":"pass","confidence":0.97,"reason":"correct and complete"}\n');
    expect(parsed).toEqual({
      ok: true,
      verdict: { verdict: 'pass', confidence: 0.97, reason: 'correct and complete' },
    });
  });

  it.each([
    ['prose around the JSON', 'Verdict: {"verdict":"pass","confidence":1,"reason":"ok"}'],
    ['a code fence', '```json\n{"verdict":"pass","confidence":1,"reason":"ok"}\n```'],
    ['an unknown verdict', '{"verdict":"maybe","confidence":0.5,"reason":"?"}'],
    ['a confidence above 1', '{"verdict":"pass","confidence":1.5,"reason":"sure"}'],
    ['a confidence as a string', '{"verdict":"pass","confidence":"0.9","reason":"x"}'],
    ['a missing reason', '{"verdict":"pass","confidence":0.9}'],
    ['an extra key', '{"verdict":"pass","confidence":0.9,"reason":"x","score":10}'],
    ['an array', '[{"verdict":"pass","confidence":0.9,"reason":"x"}]'],
    ['nothing', ''],
  ])('abstains on %s, never passes', (_, text) => {
    expect(parseJudgeVerdict(text).ok).toBe(false);
  });

  it('scores a pass by its confidence and a fail as 0 whatever its confidence', () => {
    expect(verdictScore({ verdict: 'pass', confidence: 0.96, reason: '' })).toBe(0.96);
    expect(verdictScore({ verdict: 'fail', confidence: 0.01, reason: '' })).toBe(0);
  });
});

describe('checkAnswerFormat', () => {
  const base = { answerType: 'literal' as const, answer: 'x', expectAnswer: true };
  it('fails empty, cut-off and refused answers', () => {
    expect(checkAnswerFormat({ ...base, text: '  \n' })).toMatchObject({ ok: false, failure: 'empty' });
    expect(checkAnswerFormat({ ...base, text: 'The first half', finishReason: 'length' })).toMatchObject({
      ok: false,
      failure: 'truncated',
    });
    expect(checkAnswerFormat({ ...base, text: 'x', finishReason: 'content-filter' })).toMatchObject({
      failure: 'refusal',
    });
    expect(checkAnswerFormat({ ...base, text: "I'm sorry, but I can't help with that request." })).toMatchObject({
      failure: 'refusal',
    });
    expect(checkAnswerFormat({ ...base, text: 'I cannot assist with that.' })).toMatchObject({ failure: 'refusal' });
  });

  it('passes ordinary answers, including long ones that mention a limitation', () => {
    expect(checkAnswerFormat({ ...base, text: 'Paris is the capital of France.', finishReason: 'stop' })).toEqual({
      ok: true,
    });
    const long = `I'm sorry to say I can't be brief here. ${'Here is a detailed explanation. '.repeat(20)}`;
    expect(checkAnswerFormat({ ...base, text: long })).toEqual({ ok: true });
  });

  it('fails a missing extracted answer only where one is expected', () => {
    const number = { text: 'no idea', answer: null, answerType: 'number' as const };
    expect(checkAnswerFormat({ ...number, expectAnswer: true })).toMatchObject({ failure: 'no-answer' });
    expect(checkAnswerFormat({ ...number, expectAnswer: false })).toEqual({ ok: true });
    expect(checkAnswerFormat({ ...number, answerType: 'literal', expectAnswer: true })).toEqual({ ok: true });
  });
});
