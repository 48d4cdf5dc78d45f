import {
  type CallObservation,
  type CascadeContext,
  type CascadeStep,
  nextCascadeStep,
  type Plan,
} from '@switchyard/core';
import type { CallExecutor, EvalQuery } from './executor.js';

export interface CascadeRun {
  finish: Extract<CascadeStep, { kind: 'finish' }>;
  observations: CallObservation[];
}

/** Drives one query's cascade to the end: exactly what the queue workers do, without the queues. */
export async function runCascade(
  plan: Plan,
  query: EvalQuery,
  execute: CallExecutor,
  context: CascadeContext = {},
): Promise<CascadeRun> {
  const observations: CallObservation[] = [];
  // Each step either finishes or asks for models not yet observed, so a plan ends within this many.
  const maxSteps = 2 * plan.stages.length + 2;
  for (let steps = 0; steps < maxSteps; steps += 1) {
    const step = nextCascadeStep(plan, observations, context);
    if (step.kind === 'finish') return { finish: step, observations };
    observations.push(...(await Promise.all(step.calls.map((request) => execute(request, query)))));
  }
  throw new Error(
    `cascade for ${query.id} did not finish within ${maxSteps} steps; does the executor echo each request's model?`,
  );
}
