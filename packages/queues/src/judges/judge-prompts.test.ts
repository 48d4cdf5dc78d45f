import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { judgeTaskSchema } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { loadJudgePrompts, renderJudgeUserTurn } from './judge-prompts.js';

describe('judge prompts', () => {
  it('ships version v1 with a prompt for every task type', () => {
    const prompts = loadJudgePrompts('v1');
    for (const task of judgeTaskSchema.options) {
      expect(prompts.byTask[task].system).toMatch(/"pass" or "fail"/);
      expect(prompts.byTask[task].user).toContain('{{answer}}');
      expect(prompts.byTask[task].user).toContain('{{question}}');
    }
  });

  it('substitutes in one pass, so text in the answer is never treated as a placeholder', () => {
    const prompt = loadJudgePrompts('v1').byTask['open-ended'];
    const text = renderJudgeUserTurn(prompt, { question: 'Q {{answer}}', system: null, answer: 'A {{question}}' });
    expect(text).toContain('Q {{answer}}');
    expect(text).toContain('A {{question}}');
    expect(text).toContain('(none)');
  });

  it('names a missing version or a malformed file', async () => {
    expect(() => loadJudgePrompts('v999')).toThrow(/judge prompt v999\/math cannot be read/);
    expect(() => loadJudgePrompts('../x')).toThrow(/not a folder name/);
    const folder = await mkdtemp(path.join(tmpdir(), 'sy-prompts-'));
    await mkdir(path.join(folder, 'v1'));
    for (const task of judgeTaskSchema.options) await writeFile(path.join(folder, 'v1', `${task}.md`), 'no separator');
    expect(() => loadJudgePrompts('v1', folder)).toThrow(/needs exactly one line "=== user ==="/);
  });
});
