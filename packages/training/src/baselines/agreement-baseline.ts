import type { Router } from '@switchyard/core';
import { singleModelPerformance, type TrainingContext } from '../context/training-context.js';

/** A FrugalGPT/AutoMix-style baseline: cheap models answer, and the best single model when they disagree. */
export interface AgreementBaseline {
  name: string;
  /** What it does, for reports. */
  setting: string;
  /** The cheap models (the first one's answer is kept on agreement) and the fallback. */
  cheap: string[];
  fallback: string;
  router: Router;
}

/**
 * The simple peer every trained router must beat, chosen on the training records: the cheap models are
 * the most accurate pool models costing at most a quarter of the best single model (else the cheapest
 * ones); the fallback is the best single model. Three variants: the two best cheap models agree; the
 * three best all agree; two of the three agree (the first and at least one other).
 */
export function trainAgreementBaselines(context: TrainingContext): AgreementBaseline[] {
  const { models, best } = singleModelPerformance(context);
  const others = models.filter((entry) => entry.model !== best.model);
  let cheap = others.filter((entry) => entry.costUsd <= best.costUsd / 4);
  if (cheap.length < 3) cheap = [...others].sort((a, b) => a.costUsd - b.costUsd).slice(0, 3);
  const ranked = [...cheap]
    .sort((a, b) => b.accuracy - a.accuracy || a.costUsd - b.costUsd)
    .map((entry) => entry.model);
  const variants: { size: number; threshold: number; label: string }[] = [
    { size: 2, threshold: 1, label: 'both agree' },
    { size: 3, threshold: 1, label: 'all three agree' },
    { size: 3, threshold: 0.5, label: 'two of three agree' },
  ];
  return variants
    .filter((variant) => ranked.length >= variant.size)
    .map(({ size, threshold, label }) => {
      const [first, ...references] = ranked.slice(0, size) as [string, ...string[]];
      const name = `agreement ${size}${threshold < 1 ? ' majority' : ''}`;
      const router: Router = (query) => ({
        version: 1,
        router: 'agreement-baseline',
        ...(query.category === undefined ? {} : { category: query.category }),
        answerType: query.answerType,
        stages: [{ model: first }, { model: best.model, acceptThreshold: 0 }],
        judges: [{ kind: 'agreement', referenceModels: references }],
        aggregation: 'mean',
        acceptThreshold: threshold,
        setting: name,
      });
      return {
        name,
        setting: `${first} answers, ${references.join(' and ')} check it; ${label} → keep, else ${best.model}`,
        cheap: [first, ...references],
        fallback: best.model,
        router,
      };
    });
}
