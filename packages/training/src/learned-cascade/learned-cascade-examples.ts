import {
  type AgreementPattern,
  type CascadeQueryView,
  cheapestOthers,
  type LearnedCascadeSettings,
  priorParetoStages,
} from '@switchyard/core';
import type { PreparedRecord } from '../records/prepare-records.js';
import type { PoolIndex } from '../simulation/simulate-plan.js';

/**
 * The verifier examples the learned cascade's calibration is trained on, from one record. Every suffix of
 * the query's Pareto stages by prior is a possible plan (each stage a possible start); in each, every
 * stage is judged once against the candidate references of its start and every earlier stage. Each
 * judgement also stands for every subset of its references (a verifier request reveals the agreement with
 * each reference, hence what any subset would have shown), so the planner can price reference sets it
 * did not run. A record counts each (model, pattern) once however many plans show it. The priors must be
 * out of fold: in-sample predictions are overconfident, and these plans should look like new queries'.
 */
export function learnedCascadeExamples(
  record: PreparedRecord,
  view: CascadeQueryView,
  pool: PoolIndex,
  settings: LearnedCascadeSettings,
): (AgreementPattern & { correct: boolean })[] {
  const size = pool.models.length;
  const frontier = priorParetoStages(view);
  const seen = new Set<string>();
  const examples: (AgreementPattern & { correct: boolean })[] = [];
  for (const [start, first] of frontier.entries()) {
    const stages = frontier.slice(start);
    const fixed = cheapestOthers(view, first, settings.candidateReferences);
    for (const [stage, name] of stages.entries()) {
      const model = pool.indexOf.get(name) as number;
      const references = [...new Set([...fixed, ...stages.slice(0, stage)])]
        .filter((reference) => reference !== name)
        .map((reference) => pool.indexOf.get(reference) as number)
        .filter((reference) => record.answered[reference] === 1);
      for (let mask = 0; mask < 1 << references.length; mask += 1) {
        const subset = references.filter((_, index) => (mask & (1 << index)) !== 0);
        const pattern = subset.map((reference) => ({
          model: pool.models[reference] as string,
          agrees: record.agree[model * size + reference] === 1,
        }));
        const key = `${name}|${pattern
          .map((reference) => `${reference.model}=${reference.agrees ? 1 : 0}`)
          .sort()
          .join(',')}`;
        if (seen.has(key)) continue;
        seen.add(key);
        examples.push({
          ...(view.category === undefined ? {} : { category: view.category }),
          model: name,
          answered: record.answered[model] === 1,
          references: pattern,
          correct: record.correct[model] === 1,
        });
      }
    }
  }
  return examples;
}

/**
 * The examples the policy verifier is trained on, from one record: every pool model judged against every
 * set of at most `maxReferences` other pool models with an extractable answer (each pattern once).
 */
export function policyExamples(
  record: PreparedRecord,
  pool: PoolIndex,
  maxReferences: number,
): (AgreementPattern & { correct: boolean })[] {
  const size = pool.models.length;
  const examples: (AgreementPattern & { correct: boolean })[] = [];
  for (let model = 0; model < size; model += 1) {
    const others = Array.from({ length: size }, (_, index) => index).filter(
      (index) => index !== model && record.answered[index] === 1,
    );
    const visit = (from: number, chosen: number[]) => {
      examples.push({
        category: record.category,
        model: pool.models[model] as string,
        answered: record.answered[model] === 1,
        references: chosen.map((reference) => ({
          model: pool.models[reference] as string,
          agrees: record.agree[model * size + reference] === 1,
        })),
        correct: record.correct[model] === 1,
      });
      if (chosen.length === maxReferences) return;
      for (let index = from; index < others.length; index += 1) visit(index + 1, [...chosen, others[index] as number]);
    };
    visit(0, []);
  }
  return examples;
}

/**
 * The level keys (`calibrationLevelKeys`) and label of every {@link policyExamples} example, built
 * without sorting: the references are visited in the order their keys sort in. Training counts about a
 * million of these on a dataset of a few thousand records.
 */
export function forEachPolicyExampleKeys(
  record: PreparedRecord,
  pool: PoolIndex,
  maxReferences: number,
  visit: (keys: readonly string[], correct: boolean) => void,
): void {
  const size = pool.models.length;
  // A pattern's references are joined sorted by `${model}=${0|1}`: the order of `${model}=`.
  const order = Array.from({ length: size }, (_, index) => index).sort((a, b) => {
    const left = `${pool.models[a]}=`;
    const right = `${pool.models[b]}=`;
    return left < right ? -1 : left > right ? 1 : 0;
  });
  const category = record.category;
  for (let model = 0; model < size; model += 1) {
    const name = pool.models[model] as string;
    const answered = record.answered[model] === 1;
    const correct = record.correct[model] === 1;
    const others = order.filter((index) => index !== model && record.answered[index] === 1);
    const prefix = `m:${name}|`;
    const categoryPrefix = `m:${name}|c:${category}|`;
    const emit = (references: number[]) => {
      let agreeing = 0;
      let pattern = '';
      for (const [position, reference] of references.entries()) {
        const agrees = record.agree[model * size + reference] === 1;
        if (agrees) agreeing += 1;
        pattern += `${position === 0 ? '' : ','}${pool.models[reference]}=${agrees ? 1 : 0}`;
      }
      const count = `n:${answered ? '' : 'unanswered,'}${agreeing}/${references.length}`;
      visit(
        ['all', count, `${prefix}${count}`, `${categoryPrefix}${count}`, `${categoryPrefix}${count}|p:${pattern}`],
        correct,
      );
    };
    const walk = (from: number, chosen: number[]) => {
      emit(chosen);
      if (chosen.length === maxReferences) return;
      for (let index = from; index < others.length; index += 1) walk(index + 1, [...chosen, others[index] as number]);
    };
    walk(0, []);
  }
}
