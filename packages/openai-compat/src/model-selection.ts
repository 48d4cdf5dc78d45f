/**
 * What `model` asks for. `switchyard` routes with the default knob; `switchyard/<preset>` routes with a
 * knob preset; anything else names one model of the deployment's pool, called directly (no router, no
 * judges; still through the ledger). Only the workers know the pool, so a pinned id is checked there.
 */
export const KNOB_PRESETS = ['economy', 'balanced', 'match', 'max'] as const;
export type KnobPreset = (typeof KNOB_PRESETS)[number];

export type ModelSelection =
  | { kind: 'route' }
  | { kind: 'preset'; preset: KnobPreset }
  | { kind: 'pinned'; model: string };

export type ModelSelectionResult = { ok: true; selection: ModelSelection } | { ok: false; message: string };

export const ROUTED_MODEL = 'switchyard';

export function parseModelSelection(model: string): ModelSelectionResult {
  if (model === ROUTED_MODEL) return { ok: true, selection: { kind: 'route' } };
  if (model.startsWith(`${ROUTED_MODEL}/`)) {
    const preset = model.slice(ROUTED_MODEL.length + 1);
    if ((KNOB_PRESETS as readonly string[]).includes(preset)) {
      return { ok: true, selection: { kind: 'preset', preset: preset as KnobPreset } };
    }
    return {
      ok: false,
      message: `unknown preset ${JSON.stringify(preset.slice(0, 64))}: use switchyard/${KNOB_PRESETS.join(', switchyard/')}, or "switchyard"`,
    };
  }
  if (model.length === 0 || model.length > 200 || /[\s\p{Cc}]/u.test(model)) {
    return { ok: false, message: 'model must be "switchyard", "switchyard/<preset>" or a model id of the pool' };
  }
  return { ok: true, selection: { kind: 'pinned', model } };
}
