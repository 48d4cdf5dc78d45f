import { createModelPricing } from '../pricing/model-pricing.js';
import type { ModelEntry } from '../registry/model-entry.js';
import type { GenerateOptions, GenerateResult, LanguageModel } from '../spec/language-model.js';

/** One scripted step: a result (partial, filled with defaults), an error to throw, or a function. */
export type MockStep =
  | Partial<GenerateResult>
  | Error
  | ((options: GenerateOptions) => Partial<GenerateResult> | Promise<Partial<GenerateResult>>);

/** A complete result with defaults: text `mock answer`, 10 input and 5 output tokens. */
export function createMockResult(overrides: Partial<GenerateResult> = {}): GenerateResult {
  return {
    text: 'mock answer',
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: { inputTokens: 10, outputTokens: 5, raw: null },
    providerRequestId: 'mock-request',
    servedModelId: 'mock-model',
    warnings: [],
    ...overrides,
  };
}

/**
 * A `LanguageModel` that plays a script, one step per call (the last step repeats), and records
 * every call's options. Fake at the seam with this, never by mocking our own modules.
 */
export class MockLanguageModel implements LanguageModel {
  readonly provider: string;
  readonly modelId: string;
  readonly calls: GenerateOptions[] = [];
  private readonly steps: MockStep[];

  constructor(options: { provider?: string; modelId?: string; steps?: MockStep[] } = {}) {
    this.provider = options.provider ?? 'mock';
    this.modelId = options.modelId ?? 'mock-model';
    this.steps = options.steps ?? [{}];
  }

  async doGenerate(options: GenerateOptions): Promise<GenerateResult> {
    const step = this.steps[Math.min(this.calls.length, this.steps.length - 1)] ?? {};
    this.calls.push(options);
    if (step instanceof Error) throw step;
    const partial = typeof step === 'function' ? await step(options) : step;
    return createMockResult({ servedModelId: this.modelId, ...partial });
  }
}

/** A registry entry for tests, priced $1 / $2 per 1M tokens unless overridden. */
export function createMockModelEntry(overrides: Partial<ModelEntry> = {}): ModelEntry {
  return {
    id: 'mock-model',
    provider: 'sim',
    model: 'mock-model',
    baseURL: null,
    apiKeyEnv: null,
    pricing: createModelPricing({ inputUsdPerMTok: '1', outputUsdPerMTok: '2', source: 'test', date: null }),
    contextWindow: null,
    maxOutputTokens: null,
    concurrency: null,
    rpm: null,
    tpm: null,
    tier: 1,
    roles: ['answer'],
    maxTokensField: null,
    tokenizer: null,
    sim: null,
    replayLatencyMs: 0,
    ...overrides,
  };
}
