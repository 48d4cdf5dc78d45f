import { type ApiKeyPrincipal, listAttempts, type PrismaClient, readQueryView } from '@switchyard/db';
import { errorResponse, type HttpResult } from '../http/error-response.js';
import { queryView } from './query-view.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** GET /v1/queries/:id: only the caller's own queries; another key's query is 404, exactly as an unknown id. */
export async function getQuery(
  deps: { prisma: PrismaClient },
  principal: ApiKeyPrincipal,
  id: string,
): Promise<HttpResult> {
  if (!UUID.test(id)) return errorResponse(400, 'invalid_id', 'query id must be a UUID', { field: 'id' });
  const query = await readQueryView(deps.prisma, id, principal.apiKeyId);
  if (!query) return errorResponse(404, 'not_found', `no query ${id}`);
  const attempts = await listAttempts(deps.prisma, id);
  return { status: 200, body: queryView(query, attempts) };
}
