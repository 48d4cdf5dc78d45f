import { type AgreementPattern, judgeReferenceModels, type Plan } from '@switchyard/core';
import { TrainingError } from '../errors.js';
import type { PreparedRecord } from '../records/prepare-records.js';

/** The pool models and their positions in a prepared record. */
export interface PoolIndex {
  models: readonly string[];
  indexOf: ReadonlyMap<string, number>;
}

export function poolIndex(models: readonly string[]): PoolIndex {
  return { models, indexOf: new Map(models.map((model, index) => [model, index])) };
}

/** What a plan did on a recorded query. */
export interface SimulatedOutcome {
  /** Pool index of the model whose answer was final. */
  answerFrom: number;
  correct: boolean;
  /** Sum of the recorded costs of every model called (answers and references, each once). */
  costUsd: number;
}

/**
 * Runs a plan on a prepared record the way `nextCascadeStep` does when every call succeeds and no budget
 * binds, but from precomputed answers: thousands of plans per second, for training-time search. Plans
 * may have no judges or one `verifier` judge (the trained routers' plans). Stage k: its model answers;
 * its references (fixed, next stages, earlier stages) are called; the verifier sees the references with
 * an extractable answer and whether each agrees; accept when the score reaches the stage's threshold.
 * No stage accepted → fused: every stage answer re-scored against all observed answers, the best (ties
 * → the later stage) wins. `nextCascadeStep` is the reference; a test checks they agree.
 */
export function simulatePlan(
  plan: Plan,
  record: PreparedRecord,
  pool: PoolIndex,
  score: (pattern: AgreementPattern) => number,
): SimulatedOutcome {
  if (plan.judges.length > 1 || plan.judges.some((judge) => judge.kind !== 'verifier')) {
    throw new TrainingError('simulatePlan: only plans without judges or with one verifier judge');
  }
  const size = Math.round(Math.sqrt(record.agree.length));
  const index = (model: string): number => {
    const position = pool.indexOf.get(model);
    if (position === undefined) throw new TrainingError(`simulatePlan: ${model} is not in the pool`);
    return position;
  };
  const observed = new Set<number>();
  let costUsd = 0;
  const call = (model: number) => {
    if (observed.has(model)) return;
    observed.add(model);
    costUsd += record.costUsd[model] as number;
  };
  const pattern = (model: number, references: readonly number[]): AgreementPattern => ({
    ...(plan.category === undefined ? {} : { category: plan.category }),
    model: pool.models[model] as string,
    answered: record.answered[model] === 1,
    references: references
      .filter((reference) => record.answered[reference] === 1)
      .map((reference) => ({
        model: pool.models[reference] as string,
        agrees: record.agree[model * size + reference] === 1,
      })),
  });
  // As the verifier judge does: a score is a confidence in [0, 1].
  const judge = (model: number, references: readonly number[]) =>
    Math.min(1, Math.max(0, score(pattern(model, references))));
  const finish = (model: number): SimulatedOutcome => ({
    answerFrom: model,
    correct: record.correct[model] === 1,
    costUsd,
  });
  for (const [stage, { model: name, acceptThreshold }] of plan.stages.entries()) {
    const model = index(name);
    call(model);
    if (plan.judges.length === 0) return finish(model);
    const references = judgeReferenceModels(plan, 0, stage).map(index);
    for (const reference of references) call(reference);
    if (judge(model, references) >= (acceptThreshold ?? plan.acceptThreshold)) return finish(model);
  }
  // Fuse: re-score every stage answer against all other observed answers.
  let best: { model: number; score: number } | undefined;
  for (const { model: name } of plan.stages) {
    const model = index(name);
    const value = judge(
      model,
      [...observed].filter((other) => other !== model),
    );
    if (best === undefined || value >= best.score) best = { model, score: value };
  }
  return finish((best as { model: number }).model);
}
