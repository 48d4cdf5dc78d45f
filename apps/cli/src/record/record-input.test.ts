import type { LabelledQuery } from '@switchyard/training';
import { describe, expect, it } from 'vitest';
import { datasetLineOf, datasetModelsOf } from './dataset-line.js';
import { parseRecordInput, recordIdempotencyKey } from './record-input.js';

describe('record input', () => {
  it('reads prompts with optional fields, ignores other keys, and derives a stable id from the prompt', () => {
    const { inputs, errors } = parseRecordInput(
      [
        JSON.stringify({ prompt: 'What is 2 + 2?', reference: '4', answerType: 'number', responses: {} }),
        '',
        JSON.stringify({ id: 'q-7', prompt: 'Name a prime.', category: 'math', reference: '' }),
      ].join('\r\n'),
      { requireReferences: false },
    );
    expect(errors).toEqual([]);
    expect(inputs).toEqual([
      {
        line: 1,
        id: expect.stringMatching(/^prompt-[0-9a-f]{16}$/),
        prompt: 'What is 2 + 2?',
        reference: '4',
        answerType: 'number',
      },
      // An empty reference is none: the judges label it.
      { line: 3, id: 'q-7', prompt: 'Name a prime.', reference: null, category: 'math' },
    ]);
    expect(
      parseRecordInput(JSON.stringify({ prompt: 'What is 2 + 2?' }), { requireReferences: false }).inputs[0]?.id,
    ).toBe(inputs[0]?.id);
  });

  it('reports every bad line with its number', () => {
    const { errors } = parseRecordInput(
      [
        '{"prompt": "a"',
        '[1, 2]',
        JSON.stringify({ prompt: '   ' }),
        JSON.stringify({ prompt: 'b', answerType: 'essay' }),
        JSON.stringify({ prompt: 'c' }),
        JSON.stringify({ prompt: 'c' }),
        JSON.stringify({ id: 'x', prompt: 'd', reference: '1' }),
        JSON.stringify({ id: 'x', prompt: 'e', reference: '2' }),
      ].join('\n'),
      { requireReferences: true },
    );
    expect(errors.map((error) => [error.line, error.message])).toEqual([
      [1, expect.stringMatching(/^not valid JSON/)],
      [2, expect.stringMatching(/^not a JSON object/)],
      [3, 'prompt is only whitespace'],
      [4, expect.stringMatching(/^answerType /)],
      [5, expect.stringMatching(/^reference is missing or empty, and --references/)],
      [6, expect.stringMatching(/^reference is missing/)],
      [8, 'repeats the id "x" of line 7'],
    ]);
    const repeated = parseRecordInput(['{"prompt": "c"}', '{"prompt": "c"}'].join('\n'), { requireReferences: false });
    expect(repeated.errors).toEqual([{ line: 2, message: expect.stringMatching(/^repeats the prompt of line 1/) }]);
  });

  it('keys a line by its content, tenant, budget and pool', () => {
    const [input] = parseRecordInput('{"prompt": "What is 2 + 2?", "reference": "4"}', {
      requireReferences: true,
    }).inputs;
    if (input === undefined) throw new Error('no input');
    const key = recordIdempotencyKey(input, null, '1', ['a', 'b']);
    expect(key).toMatch(/^record:operator:[0-9a-f]{64}$/);
    expect(recordIdempotencyKey({ ...input }, null, '1', ['a', 'b'])).toBe(key);
    expect(recordIdempotencyKey(input, 'key-1', '1', ['a', 'b'])).not.toBe(key);
    expect(recordIdempotencyKey(input, null, '2', ['a', 'b'])).not.toBe(key);
    expect(recordIdempotencyKey(input, null, '1', ['a', 'c'])).not.toBe(key);
    expect(recordIdempotencyKey({ ...input, reference: '5' }, null, '1', ['a', 'b'])).not.toBe(key);
  });
});

describe('dataset writer', () => {
  const input = { line: 4, id: 'q-1', prompt: 'What is 2 + 2?', reference: '4' };
  const labelled: LabelledQuery = {
    queryId: 'query-1',
    prompt: 'What is 2 + 2?',
    answerType: 'number',
    reference: '4',
    responses: {
      small: {
        text: '5',
        answer: '5',
        correct: false,
        labelSource: 'reference',
        inputTokens: 3,
        outputTokens: 1,
        costUsd: 0.0001,
      },
      large: {
        text: '4',
        answer: '4',
        correct: true,
        labelSource: 'reference',
        inputTokens: 3,
        outputTokens: 1,
        costUsd: 0.002,
      },
    },
    missing: [],
    unlabelled: [],
  };

  it('writes the datasets record format with where the labels came from', () => {
    const result = datasetLineOf(input, labelled, new Date('2026-11-29T00:00:00Z'));
    if (!result.ok) throw new Error(result.reason);
    expect(Object.keys(result.line)).toEqual([
      'id',
      'benchmark',
      'category',
      'prompt',
      'reference',
      'answerType',
      'responses',
      'provenance',
    ]);
    expect(result.line).toMatchObject({
      id: 'q-1',
      benchmark: 'recorded',
      category: 'other',
      reference: '4',
      responses: {
        small: {
          text: '5',
          answer: '5',
          correct: false,
          inputTokens: 3,
          outputTokens: 1,
          costUsd: 0.0001,
          label: 'reference',
        },
      },
      provenance: {
        source: 'switchyard record',
        queryId: 'query-1',
        labels: 'reference',
        recordedAt: '2026-11-29T00:00:00.000Z',
      },
    });
  });

  it('refuses a line with a missing or unlabelled answer, naming the models', () => {
    expect(datasetLineOf(input, { ...labelled, missing: ['huge'] }, new Date())).toEqual({
      ok: false,
      reason: 'no answer from huge',
    });
    expect(datasetLineOf({ ...input, reference: null }, { ...labelled, unlabelled: ['small'] }, new Date())).toEqual({
      ok: false,
      reason: 'no valid judge verdict on the answer of small',
    });
  });

  it('writes models.json cheapest first with numeric prices', () => {
    expect(
      datasetModelsOf([
        { id: 'a', inputUsdPerMTok: '0.05', outputUsdPerMTok: '0.2', priceSource: null },
        { id: 'b', inputUsdPerMTok: '3', outputUsdPerMTok: '15', priceSource: 'list' },
      ]),
    ).toEqual([
      { id: 'a', tier: 1, inputUsdPerMTok: 0.05, outputUsdPerMTok: 0.2 },
      { id: 'b', tier: 2, inputUsdPerMTok: 3, outputUsdPerMTok: 15, priceSource: 'list' },
    ]);
  });
});
