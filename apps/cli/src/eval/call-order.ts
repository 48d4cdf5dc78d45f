/** The order a cascade makes its calls in: by stage, the answer before its judges, then by slot. */
export function compareCallKeys(
  a: { stage: number; role: string; slot: number },
  b: { stage: number; role: string; slot: number },
): number {
  return a.stage - b.stage || (a.role === b.role ? 0 : a.role === 'answer' ? -1 : 1) || a.slot - b.slot;
}
