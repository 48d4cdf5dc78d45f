import { describe, expect, it } from 'vitest';
import { answersEqual, extractAnswer, normalizeAnswer } from './extract-answer.js';

describe('extractAnswer: number', () => {
  it('reads the JSON answer field, dropping $ and thousands separators', () => {
    expect(extractAnswer('```json\n{"reasoning": "9 * 2 = 18", "answer": "$1,018.50"}\n```', 'number')).toBe('1018.5');
  });
  it('falls back to \\boxed{}, then "the answer is", then the last number', () => {
    expect(extractAnswer('so we get $\\boxed{\\frac{3}{4}}$ in total, not 7', 'number')).toBe('0.75');
    expect(extractAnswer('First 3 then 4. The answer is 12 apples.', 'number')).toBe('12');
    expect(extractAnswer('3 plus 4 makes 7', 'number')).toBe('7');
  });
  it('finds nothing in a JSON reply cut off before its answer field', () => {
    expect(extractAnswer('{"reasoning": "first 12, then 7 and', 'number')).toBeNull();
    expect(extractAnswer('no digits here', 'number')).toBeNull();
  });
  it('compares numbers numerically', () => {
    expect(answersEqual('18', normalizeAnswer('18.0', 'number'), 'number')).toBe(true);
    expect(answersEqual('18', '18.5', 'number')).toBe(false);
    expect(answersEqual(null, null, 'number')).toBe(false);
  });
});

describe('extractAnswer: choice', () => {
  it('reads "The answer is (X)" including markdown bold, first statement first', () => {
    expect(extractAnswer('Let us think. The answer is (I).\n', 'choice')).toBe('I');
    expect(extractAnswer('The answer is **B. Confirmation bias**.', 'choice')).toBe('B');
    expect(extractAnswer('The answer is (B).\n\nThe answer is (J).', 'choice')).toBe('B');
    expect(extractAnswer('Reasoning...\nAnswer: C', 'choice')).toBe('C');
  });
  it('reads a lone leading letter but not a pronoun', () => {
    expect(extractAnswer('A\n', 'choice')).toBe('A');
    expect(extractAnswer(' B) Logan', 'choice')).toBe('B');
    expect(extractAnswer('I do', 'choice')).toBeNull();
    expect(extractAnswer('Unfortunately I', 'choice')).toBeNull();
  });
});

describe('extractAnswer: literal and code', () => {
  it('reads the JSON answer and strips outer quotes', () => {
    expect(extractAnswer('{"reasoning": "r", "answer": "\'bcksrutq\'"}', 'literal')).toBe('bcksrutq');
    expect(normalizeAnswer("'bcksrutq'", 'literal')).toBe('bcksrutq');
  });
  it('uses the last non-empty line without a JSON answer', () => {
    expect(extractAnswer('It returns\n[1, 2]\n', 'literal')).toBe('[1, 2]');
  });
  it('takes the first fenced block, even unclosed, with whitespace normalised', () => {
    expect(extractAnswer('Here:\n```python\ndef f(x):\n    return x\n```\nDone', 'code')).toBe('def f(x):\nreturn x');
    expect(extractAnswer('Sure:\n```\ndef g():\r\n    pass', 'code')).toBe('def g():\npass');
  });
});
