import {
  type AgreementCalibration,
  type CalibrationExample,
  expandReferenceSubsets,
  type Plan,
  trainAgreementCalibration,
} from '@switchyard/core';
import type { BenchRecord } from '@switchyard/datasets';
import type { CallExecutor } from './executor.js';
import { runCascade } from './run-cascade.js';

/** Options of {@link learnCalibration}. */
export interface LearnCalibrationOptions {
  id: string;
  concurrency?: number;
  /**
   * Also learn from every subset of each request's references (`expandReferenceSubsets`), so a router
   * can price reference sets it did not run. Off for the calibrated cascade, on for the learned one.
   */
  referenceSubsets?: boolean;
}

/**
 * Learns the agreement calibration from training records by running cascades on each of them with a
 * verifier that never accepts: every stage is reached, and every verifier request the cascade makes
 * (the same agreement patterns it will see at test time) becomes an example, labelled with the
 * recorded correctness of the judged answer. `plansFor` gives the plans to run for a record (the
 * router's own plan, or e.g. `learnedCascadeTrainingPlans`); with several plans a record's examples
 * are counted once per (model, agreement pattern) however many plans show it.
 */
export async function learnCalibration(
  train: readonly BenchRecord[],
  plansFor: (record: BenchRecord) => Plan[],
  execute: CallExecutor,
  options: LearnCalibrationOptions,
): Promise<AgreementCalibration> {
  const examples: CalibrationExample[] = [];
  const concurrency = options.concurrency ?? 32;
  for (let start = 0; start < train.length; start += concurrency) {
    await Promise.all(
      train.slice(start, start + concurrency).map(async (record) => {
        const seen = new Set<string>();
        const plans = plansFor(record);
        const add = (example: CalibrationExample) => {
          if (plans.length === 1 && !options.referenceSubsets) {
            examples.push(example);
            return;
          }
          const pattern = example.references.map((reference) => `${reference.model}=${reference.agrees ? 1 : 0}`);
          const key = `${example.model}|${pattern.sort().join(',')}`;
          if (seen.has(key)) return;
          seen.add(key);
          examples.push(example);
        };
        for (const plan of plans) {
          const judged = new Set<string>();
          await runCascade(plan, { id: record.id, prompt: record.prompt }, execute, {
            scoreVerifier: (request) => {
              // The step function re-judges earlier stages on every step; count each judgement once.
              const key = `${request.stage}|${request.model}|${JSON.stringify(request.references)}`;
              if (judged.has(key)) return 0;
              judged.add(key);
              const example: CalibrationExample = {
                ...(request.category === undefined ? {} : { category: request.category }),
                model: request.model,
                answered: request.answer !== null,
                references: request.references,
                correct: record.responses[request.model]?.correct === true,
              };
              for (const subset of options.referenceSubsets ? expandReferenceSubsets(example) : [example]) add(subset);
              return 0;
            },
          });
        }
      }),
    );
  }
  return trainAgreementCalibration(examples, { id: options.id });
}
