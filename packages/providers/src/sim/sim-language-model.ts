import { kindFromStatus } from '../errors/http-status.js';
import type { GenerateOptions, GenerateResult, LanguageModel } from '../spec/language-model.js';
import { ProviderError } from '../spec/provider-error.js';
import { sleep } from '../support/abortable-sleep.js';
import { toConversation } from '../support/conversation.js';
import { sha256Hex } from '../support/describe-text.js';
import { parseArithmetic, unitFromHash, wrongAnswer } from './sim-answer.js';
import { extractDirectives, type SimDirective, SimState } from './sim-directives.js';

/** Marks every simulated text, so it can never pass for a real model's output. */
export const SIMULATED_MARKER = '[simulated]';

/** Shared by sim models that are given no state of their own. */
const defaultSimState = new SimState();

export interface SimModelSettings {
  modelId: string;
  /** Probability (0..1) of answering a checkable question right. */
  skill: number;
  latencyMs?: number;
  /** Memory of `times`-limited failures; defaults to one shared per process. */
  state?: SimState;
}

/** Rough token count (4 characters a token), deterministic and good enough for simulated cost. */
function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function failure(directive: SimDirective, modelId: string): ProviderError | 'timeout' {
  const base = { provider: 'sim', modelId };
  if (directive.error === 'timeout') return 'timeout';
  if (directive.error === 'network') {
    return new ProviderError({ ...base, kind: 'network', message: `sim/${modelId}: simulated connection reset` });
  }
  const statusCode = directive.error ?? 500;
  return new ProviderError({
    ...base,
    kind: kindFromStatus(statusCode),
    statusCode,
    retryAfterMs: directive.retryAfterMs,
    requestId: `sim-${sha256Hex(`${modelId}${statusCode}`).slice(0, 12)}`,
    message: `sim/${modelId}: simulated ${statusCode} error`,
  });
}

/**
 * A deterministic simulated model. Arithmetic questions ("What is 17 + 25?") get a reply ending in
 * "The answer is N." that is right with probability `skill`, decided by a hash of model and prompt;
 * other prompts get a canned reply. Output is labelled: `simulated: true` and a `[simulated]`
 * prefix. Prompt directives (see `SimDirective`) force errors, latency or wrong answers.
 */
export function createSimLanguageModel(settings: SimModelSettings): LanguageModel {
  const { modelId, skill } = settings;
  const state = settings.state ?? defaultSimState;
  return {
    provider: 'sim',
    modelId,
    async doGenerate(options: GenerateOptions): Promise<GenerateResult> {
      const conversation = toConversation(options, 'sim', modelId);
      const lastUser = [...conversation.turns].reverse().find((turn) => turn.role === 'user');
      const { directives, prompt } = extractDirectives(lastUser?.content ?? '', modelId);
      const hash = sha256Hex(`${modelId}\u0000${prompt}`);
      const latencyMs = (settings.latencyMs ?? 0) + directives.reduce((sum, d) => sum + (d.latencyMs ?? 0), 0);
      await sleep(latencyMs, options.abortSignal);
      for (const directive of directives) {
        if (directive.error === undefined) continue;
        if (!state.shouldFail(`${hash}:${directive.error}`, directive.times)) continue;
        const error = failure(directive, modelId);
        // A simulated hang: only the wrapper's timeout (or the caller) ends it.
        if (error === 'timeout') await sleep(2 ** 31 - 1, options.abortSignal);
        else throw error;
      }
      const forced = directives.find((directive) => directive.answer !== undefined)?.answer;
      const right = forced ? forced === 'right' : unitFromHash(hash) < skill;
      const question = parseArithmetic(prompt);
      let text: string;
      if (question) {
        const value = right
          ? question.answer
          : wrongAnswer(question.answer, unitFromHash(hash, 13), unitFromHash(hash, 26));
        text = `${SIMULATED_MARKER} ${modelId} works out ${question.expression}. The answer is ${value}.`;
      } else {
        text = `${SIMULATED_MARKER} ${modelId} has no real model behind it; canned reply ${hash.slice(0, 8)} to a ${prompt.length}-character prompt.`;
      }
      const inputText = [conversation.system ?? '', ...conversation.turns.map((turn) => turn.content)].join('\n');
      let outputTokens = estimateTokens(text);
      let finishReason: GenerateResult['finishReason'] = { unified: 'stop', raw: 'stop' };
      if (options.maxOutputTokens !== undefined && outputTokens > options.maxOutputTokens) {
        outputTokens = options.maxOutputTokens;
        text = text.slice(0, outputTokens * 4);
        finishReason = { unified: 'length', raw: 'length' };
      }
      const usage = { inputTokens: estimateTokens(inputText), outputTokens };
      return {
        text,
        finishReason,
        usage: { ...usage, raw: usage },
        providerRequestId: `sim-${hash.slice(0, 16)}`,
        servedModelId: modelId,
        warnings: ['simulated: output made by the Switchyard simulator, not a language model'],
        simulated: true,
        providerMetadata: {
          sim: { correct: question ? right : null, expected: question ? String(question.answer) : null },
        },
      };
    },
  };
}
