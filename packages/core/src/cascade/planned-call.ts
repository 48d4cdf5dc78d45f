import type { CallRequest } from './calls.js';
import { plannedCall } from './next-cascade-step.js';
import type { Plan } from './plan.js';

/**
 * Whether `call` is one the cascade could ever ask for under `plan`: the stage's answer call (slot 0,
 * the stage's model, the query's own prompt), one of the stage's reference calls (slot = index in
 * `stageReferenceModels`, that model, the query's own prompt), or one of its LLM judge calls (the
 * slots after the references, a panel model of the stage, a `judge` input naming the answer). Workers
 * refuse any other call job before calling anything: a job forged into the queue cannot spend a
 * tenant's money on a call the pipeline never planned, nor send text of its choosing (a judge job
 * names an answer in the ledger; the worker builds the text).
 */
export function isPlannedCall(
  plan: Plan,
  call: Pick<CallRequest, 'stage' | 'role' | 'slot' | 'model' | 'input'>,
): boolean {
  const planned = plannedCall(plan, call.stage, call.role, call.slot);
  if (planned === null || planned.model !== call.model) return false;
  return planned.kind === 'llm-judge' ? call.input.kind === 'judge' : call.input.kind === 'query';
}
