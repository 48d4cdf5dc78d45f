import { formatDecimal, parseDecimal } from '../pricing/decimal.js';
import type { GenerateOptions, GenerateResult, LanguageModel } from '../spec/language-model.js';
import { ProviderError } from '../spec/provider-error.js';
import { sleep } from '../support/abortable-sleep.js';
import { toConversation } from '../support/conversation.js';
import { describeText } from '../support/describe-text.js';
import { type ReplayIndex, replayKey } from './replay-index.js';

export interface ReplayModelSettings {
  index: ReplayIndex;
  /** The dataset's model id whose recordings this model serves. */
  modelId: string;
  /** Waits this long before answering, to make latency visible in demos; default 0. */
  latencyMs?: number;
}

const missReasons = {
  'unknown-model': 'the replay dataset has no recordings for this model',
  'unknown-prompt': 'no recorded response for this prompt',
  'unknown-record': 'providerOptions.replay.recordId names no record in the replay dataset',
  'record-prompt-mismatch': 'providerOptions.replay.recordId names a record whose prompt differs from this one',
} as const;

/**
 * Serves recorded responses: the exact prompt (one user turn, optional system) and model id select
 * the recorded text, tokens and cost. Sampling settings are ignored: a recording is one greedy sample.
 * `usage.costUsd` is the recorded cost, which the wrapper charges as is; the recorded `answer` and
 * `correct` are in `providerMetadata.replay` for evaluation only.
 */
export function createReplayLanguageModel(settings: ReplayModelSettings): LanguageModel {
  const { index, modelId } = settings;
  return {
    provider: 'replay',
    modelId,
    async doGenerate(options: GenerateOptions): Promise<GenerateResult> {
      const conversation = toConversation(options, 'replay', modelId);
      const [turn, ...moreTurns] = conversation.turns;
      if (turn?.role !== 'user' || moreTurns.length > 0) {
        throw new ProviderError({
          kind: 'replay_miss',
          provider: 'replay',
          modelId,
          message: `replay serves single-turn prompts; got ${conversation.turns.length} turns`,
        });
      }
      const recordId = options.providerOptions?.replay?.recordId;
      const lookup = index.lookup(replayKey(turn.content, conversation.system), modelId, recordId);
      if (!lookup.found) {
        const about =
          lookup.reason === 'unknown-model'
            ? `recorded models: ${index.models.join(', ')}`
            : `prompt ${describeText(turn.content)}${conversation.system === undefined ? '' : ' with a system prompt'}${recordId === undefined ? '' : `, recordId ${recordId}`}`;
        throw new ProviderError({
          kind: 'replay_miss',
          provider: 'replay',
          modelId,
          message: `replay miss for model "${modelId}": ${missReasons[lookup.reason]}; ${about}`,
        });
      }
      await sleep(settings.latencyMs ?? 0, options.abortSignal);
      const { recording, candidates } = lookup;
      const { response } = recording;
      const warnings =
        candidates.length > 1
          ? [
              `prompt is recorded ${candidates.length} times (${candidates.join(', ')}); served ${recording.recordId}; pass providerOptions.replay.recordId to choose`,
            ]
          : [];
      return {
        text: response.text,
        finishReason: { unified: 'stop', raw: null },
        usage: {
          inputTokens: response.inputTokens,
          outputTokens: response.outputTokens,
          costUsd: formatDecimal(parseDecimal(response.costUsd)),
          raw: { inputTokens: response.inputTokens, outputTokens: response.outputTokens, costUsd: response.costUsd },
        },
        providerRequestId: `replay:${recording.recordId}:${modelId}`,
        servedModelId: modelId,
        warnings,
        providerMetadata: {
          replay: {
            recordId: recording.recordId,
            benchmark: recording.benchmark,
            datasetFile: recording.datasetFile,
            answer: response.answer,
            correct: response.correct,
          },
        },
      };
    },
  };
}
