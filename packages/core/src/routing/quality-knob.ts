import { z } from 'zod';
import type { Aggregation, JudgeSpec } from '../judges/judge-spec.js';

/** The cost/accuracy knob: 0 = cheapest, 1 = most accurate. */
export const qualitySchema = z.number().min(0).max(1);

/** Plan settings that one knob position stands for. */
export interface QualitySettings {
  quality: number;
  /** Label stored in `plan.setting`. */
  setting: string;
  acceptThreshold: number;
  aggregation: Aggregation;
  judges: JudgeSpec[];
  /** Drop the most expensive pool model from the stages (low knob positions). */
  dropMostExpensive: boolean;
}

/**
 * Maps the knob to cascade settings. The judge is agreement with the next stages' models; a stage is
 * accepted only when every available reference agrees. Raising the knob asks more next-stage models
 * to agree (1 → 2 → 3), which escalates more often; the lowest positions also leave out the most
 * expensive model. Monotone in cost by construction; accuracy is measured by `switchyard eval`.
 */
export function settingsForQuality(quality: number): QualitySettings {
  const value = qualitySchema.parse(quality);
  const nextStages = value < 0.5 ? 1 : value < 0.9 ? 2 : 3;
  return {
    quality: value,
    setting: `quality=${value}`,
    acceptThreshold: 1,
    aggregation: 'mean',
    judges: [{ kind: 'agreement', referenceModels: [], nextStages }],
    dropMostExpensive: value < 0.25,
  };
}

/**
 * The accept threshold of an LLM judge panel (aggregated with `min`, so every judge must pass at
 * least this confident): 0.8 below 0.25, 0.9 below 0.5, 0.95 below 0.9 (the default knob 0.5 accepts
 * a unanimous pass at confidence ≥ 0.95), 0.99 from 0.9. Monotone: a higher knob escalates more.
 */
export function llmAcceptThresholdForQuality(quality: number): number {
  const value = qualitySchema.parse(quality);
  return value < 0.25 ? 0.8 : value < 0.5 ? 0.9 : value < 0.9 ? 0.95 : 0.99;
}

/** The knob positions `switchyard eval` reports, and the default one. */
export const QUALITY_LEVELS: readonly number[] = [0, 0.25, 0.5, 0.75, 1];
export const DEFAULT_QUALITY = 0.5;
