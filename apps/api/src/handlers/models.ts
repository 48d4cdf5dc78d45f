import { KNOB_PRESETS, ROUTED_MODEL } from '@switchyard/openai-compat';
import type { Queues } from '@switchyard/queues';
import { errorResponse, type HttpResult } from '../http/error-response.js';

export interface ModelsDeps {
  queues: Pick<Queues, 'listServedModels'>;
}

/** OpenAI's Model object. */
interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/**
 * What `model` may name in chat completions and batch lines: `switchyard` (routed with the default
 * knob), `switchyard/<preset>`, and every model id the deployment's workers serve (called directly).
 * The pool is the workers' registry, which they record in Redis when they start: the API has none.
 */
async function models(deps: ModelsDeps): Promise<ModelObject[]> {
  const served = await deps.queues.listServedModels();
  // The routed ids exist as long as the deployment does: dated like its oldest served model.
  const since = served.reduce((oldest, model) => Math.min(oldest, model.created), Math.floor(Date.now() / 1000));
  return [
    { id: ROUTED_MODEL, object: 'model', created: since, owned_by: 'switchyard' },
    ...KNOB_PRESETS.map((preset) => ({
      id: `${ROUTED_MODEL}/${preset}`,
      object: 'model' as const,
      created: since,
      owned_by: 'switchyard',
    })),
    ...served.map((model) => ({ id: model.id, object: 'model' as const, created: model.created, owned_by: 'pool' })),
  ];
}

/** GET /v1/models */
export async function listModels(deps: ModelsDeps): Promise<HttpResult> {
  return { status: 200, body: { object: 'list', data: await models(deps) } };
}

/** GET /v1/models/:id */
export async function getModel(deps: ModelsDeps, id: string): Promise<HttpResult> {
  const model = (await models(deps)).find((candidate) => candidate.id === id);
  if (model === undefined) {
    return errorResponse(404, 'model_not_found', `The model ${JSON.stringify(id.slice(0, 200))} does not exist`, {
      param: 'model',
    });
  }
  return { status: 200, body: model };
}
