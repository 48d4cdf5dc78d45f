import type { ModelConfig } from '../registry/registry-schema.js';

/**
 * The demo pool when no dataset is given: four simulated models, cheapest and least skilled
 * first. Prices are made up, in the range of real small → frontier models, and labelled as such.
 */
export const defaultSimModelConfigs: readonly ModelConfig[] = [
  { id: 'sim-small', tier: 1, skill: 0.55, latencyMs: 40, input: '0.05', output: '0.2' },
  { id: 'sim-medium', tier: 2, skill: 0.7, latencyMs: 80, input: '0.5', output: '1.5' },
  { id: 'sim-large', tier: 3, skill: 0.85, latencyMs: 150, input: '2.5', output: '10' },
  { id: 'sim-frontier', tier: 4, skill: 0.95, latencyMs: 300, input: '10', output: '30' },
].map((model) => ({
  id: model.id,
  provider: 'sim' as const,
  model: model.id,
  inputUsdPerMTok: model.input,
  outputUsdPerMTok: model.output,
  priceSource: 'simulated price (made up for demos, not a real list price)',
  priceDate: '2025-01-01',
  contextWindow: 128_000,
  maxOutputTokens: 1024,
  tier: model.tier,
  sim: { skill: model.skill, latencyMs: model.latencyMs },
}));
