import { JUDGE_VERDICT_JSON_SCHEMA, judgeTaskFor, type Plan } from '@switchyard/core';
import type { GatewayInput } from '../pipeline/deps.js';
import { type JudgePrompts, renderJudgeUserTurn } from './judge-prompts.js';

/** What a judge call's attempt records about its prompt (`attempts.detail.judgePrompt`). */
export interface JudgePromptUse {
  version: string;
  task: string;
}

/**
 * The request of an LLM judge call, built where the texts live (Postgres), never carried in a job:
 * the task type's prompt with the query and the candidate answer, asking for the verdict document as
 * structured output (`strict` JSON schema; a forced tool call on Anthropic).
 */
export function buildJudgeInput(
  prompts: JudgePrompts,
  plan: Plan,
  query: { prompt: string; system: string | null },
  answerText: string,
): { input: GatewayInput; prompt: JudgePromptUse } {
  const task = judgeTaskFor(plan);
  const template = prompts.byTask[task];
  return {
    input: {
      system: template.system,
      messages: [
        {
          role: 'user',
          content: renderJudgeUserTurn(template, { question: query.prompt, system: query.system, answer: answerText }),
        },
      ],
      responseFormat: {
        type: 'json',
        name: 'verdict',
        description: 'Your verdict on the answer.',
        schema: JUDGE_VERDICT_JSON_SCHEMA,
        strict: true,
      },
      role: 'judge',
    },
    prompt: { version: prompts.version, task },
  };
}
