import { type CallObservation, type CallRequest, usdFromNumber } from '@switchyard/core';
import type { BenchRecord } from '@switchyard/datasets';
import {
  createLanguageModel,
  createReplayIndex,
  generateText,
  isProviderError,
  type LanguageModel,
  type ModelRegistry,
} from '@switchyard/providers';

/** The query a call belongs to: what an executor needs to send it. */
export interface EvalQuery {
  id: string;
  prompt: string;
}

/**
 * Makes one call of a cascade and settles it into an observation. In-process replay here; a queue-
 * backed executor (one job per call, ledger keyed by query + stage + role + slot) plugs in the same way.
 */
export type CallExecutor = (request: CallRequest, query: EvalQuery) => Promise<CallObservation>;

/**
 * Replays the recorded responses of `records` through the providers' replay model and the one
 * `generateText` wrapper, so eval pays exactly the recorded cost of every response it uses.
 */
export function createReplayExecutor(records: readonly BenchRecord[], registry: ModelRegistry): CallExecutor {
  const byId = new Map(records.map((record) => [record.id, record]));
  const replayIndex = createReplayIndex({ file: 'eval', records: [...records] });
  const languageModels = new Map<string, LanguageModel>();
  const modelOf = (id: string): LanguageModel => {
    let model = languageModels.get(id);
    if (model === undefined) {
      model = createLanguageModel(registry.get(id), { replayIndex });
      languageModels.set(id, model);
    }
    return model;
  };
  // A replayed response is the same every time: each (record, model) is replayed once and reused by
  // every system (dozens of knob rows call the same models).
  const memo = new Map<string, Promise<Omit<CallObservation, 'stage' | 'role' | 'slot' | 'model'>>>();
  const replay = (request: CallRequest, query: EvalQuery) => {
    const id = `${query.id}\u0000${request.model}`;
    let result = memo.get(id);
    if (result === undefined) {
      result = replayOnce(request, query);
      memo.set(id, result);
    }
    return result;
  };
  return async (request, query) => {
    const key = { stage: request.stage, role: request.role, slot: request.slot, model: request.model };
    if (request.input.kind === 'judge') {
      // An LLM judge's verdict as recorded with the dataset (`responses[model].judges[judge]`); a
      // verdict not recorded is a failed judge call, which the cascade treats as an abstention.
      const verdict = byId.get(query.id)?.responses[request.input.answer.model]?.judges?.[request.model];
      if (verdict === undefined) {
        return {
          ...key,
          ok: false,
          costUsd: '0',
          errorCode: 'not_recorded',
          errorMessage: `no verdict of ${request.model} on ${request.input.answer.model} is recorded`,
        };
      }
      const text = JSON.stringify({
        verdict: verdict.verdict,
        confidence: verdict.confidence,
        reason: verdict.reason ?? 'recorded',
      });
      return { ...key, ok: true, text, costUsd: usdFromNumber(verdict.costUsd) };
    }
    return { ...key, ...(await replay(request, query)) };
  };

  async function replayOnce(
    request: CallRequest,
    query: EvalQuery,
  ): Promise<Omit<CallObservation, 'stage' | 'role' | 'slot' | 'model'>> {
    try {
      const response = await generateText({
        model: modelOf(request.model),
        entry: registry.get(request.model),
        // The record id disambiguates datasets that hold the same prompt more than once.
        options: { prompt: query.prompt, providerOptions: { replay: { recordId: query.id } } },
      });
      if (response.costUsd === null) {
        return { ok: false, costUsd: '0', errorCode: 'unpriced', errorMessage: 'no cost recorded' };
      }
      return { ok: true, text: response.result.text, costUsd: response.costUsd };
    } catch (error) {
      if (!isProviderError(error)) throw error;
      return { ok: false, costUsd: '0', errorCode: error.kind, errorMessage: error.message };
    }
  }
}
