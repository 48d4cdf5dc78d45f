import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type JudgeTask, judgeTaskSchema } from '@switchyard/core';

/** The folder of versioned judge prompts (`<package>/judge-prompts`, the same from src/ and dist/). */
export const JUDGE_PROMPTS_DIRECTORY = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'judge-prompts',
);

/** The prompt version used when none is configured. */
export const DEFAULT_JUDGE_PROMPT_VERSION = 'v1';

const USER_SEPARATOR = /^=== user ===$/m;

/** One task type's prompt: system instructions and the user turn template. */
export interface JudgePrompt {
  task: JudgeTask;
  system: string;
  user: string;
}

/** Every task type's prompt of one version. */
export interface JudgePrompts {
  version: string;
  byTask: Record<JudgeTask, JudgePrompt>;
}

/**
 * Reads one prompt version (`judge-prompts/<version>/<task>.md` for every task type) once, at start-up:
 * a missing file or one without the `=== user ===` line is an error naming it.
 */
export function loadJudgePrompts(
  version: string = DEFAULT_JUDGE_PROMPT_VERSION,
  directory: string = JUDGE_PROMPTS_DIRECTORY,
): JudgePrompts {
  if (!/^[A-Za-z0-9._-]+$/.test(version))
    throw new Error(`judge prompt version ${JSON.stringify(version)} is not a folder name`);
  const byTask = {} as Record<JudgeTask, JudgePrompt>;
  for (const task of judgeTaskSchema.options) {
    const file = path.join(directory, version, `${task}.md`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`judge prompt ${version}/${task} cannot be read (${file}): ${(error as Error).message}`);
    }
    const parts = text.split(USER_SEPARATOR);
    if (parts.length !== 2) throw new Error(`judge prompt ${file} needs exactly one line "=== user ==="`);
    byTask[task] = { task, system: (parts[0] ?? '').trim(), user: (parts[1] ?? '').trim() };
  }
  return { version, byTask };
}

/**
 * The user turn of a judge call: the template with `{{question}}`, `{{system}}` and `{{answer}}`
 * replaced in one pass, so placeholder-like text inside the question or the answer stays as it is.
 */
export function renderJudgeUserTurn(
  prompt: JudgePrompt,
  values: { question: string; system: string | null; answer: string },
): string {
  return prompt.user.replace(/\{\{(question|system|answer)\}\}/g, (_, name: string) => {
    if (name === 'question') return values.question;
    if (name === 'answer') return values.answer;
    return values.system ?? '(none)';
  });
}
