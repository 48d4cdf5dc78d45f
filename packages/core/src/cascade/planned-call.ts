import type { CallRequest } from './calls.js';
import { stageReferenceModels } from './next-cascade-step.js';
import type { Plan } from './plan.js';

/**
 * Whether `call` is one the cascade could ever ask for under `plan`: the stage's answer call (slot 0,
 * the stage's model, the query's own prompt) or one of the stage's reference calls (slot = index in
 * {@link stageReferenceModels}, that model, the query's own prompt). Workers refuse any other call job
 * before calling anything: a job forged into the queue cannot spend a tenant's money on a call the
 * pipeline never planned, nor send text of its choosing.
 */
export function isPlannedCall(
  plan: Plan,
  call: Pick<CallRequest, 'stage' | 'role' | 'slot' | 'model' | 'input'>,
): boolean {
  const stage = plan.stages[call.stage];
  if (stage === undefined || call.input.kind !== 'query') return false;
  if (call.role === 'answer') return call.slot === 0 && stage.model === call.model;
  return stageReferenceModels(plan, call.stage)[call.slot] === call.model;
}
