import {
  type AgreementCalibration,
  type CalibrationExample,
  type Router,
  trainAgreementCalibration,
} from '@switchyard/core';
import type { BenchRecord } from '@switchyard/datasets';
import type { CallExecutor } from './executor.js';
import { runCascade } from './run-cascade.js';

/**
 * Learns the agreement calibration from training records by running the router's own cascade on
 * each of them with a verifier that never accepts: every stage is reached, and every verifier request
 * the cascade makes (the same agreement patterns it will see at test time) becomes an example,
 * labelled with the recorded correctness of the judged answer.
 */
export async function learnCalibration(
  train: readonly BenchRecord[],
  router: Router,
  execute: CallExecutor,
  options: { id: string; concurrency?: number },
): Promise<AgreementCalibration> {
  const examples: CalibrationExample[] = [];
  const concurrency = options.concurrency ?? 32;
  for (let start = 0; start < train.length; start += concurrency) {
    await Promise.all(
      train.slice(start, start + concurrency).map(async (record) => {
        const plan = router({ answerType: record.answerType, prompt: record.prompt });
        const seen = new Set<string>();
        await runCascade(plan, { id: record.id, prompt: record.prompt }, execute, {
          scoreVerifier: (request) => {
            // The step function re-judges earlier stages on every step; count each judgement once.
            const key = `${request.stage}|${request.model}|${JSON.stringify(request.references)}`;
            if (seen.has(key)) return 0;
            seen.add(key);
            examples.push({
              ...(request.category === undefined ? {} : { category: request.category }),
              model: request.model,
              answered: request.answer !== null,
              references: request.references,
              correct: record.responses[request.model]?.correct === true,
            });
            return 0;
          },
        });
      }),
    );
  }
  return trainAgreementCalibration(examples, { id: options.id });
}
