import { errorResponse, type HttpResult } from '../http/error-response.js';

/** `?after=<id>&limit=<n>` of a list route, parsed. */
export interface PageQuery {
  /** Row id of the cursor (the last object of the previous page), or null for the first page. */
  after: string | null;
  afterPublicId: string | null;
  limit: number;
}

const MAX_LIMIT = 100;

export function parsePageQuery(
  query: Record<string, unknown>,
  parseId: (id: string) => string | null,
  kind: string,
): PageQuery | { error: HttpResult } {
  const { after, limit } = query;
  let parsedLimit = 20;
  if (limit !== undefined) {
    if (typeof limit !== 'string' || !/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIMIT) {
      return {
        error: errorResponse(400, 'invalid_limit', `limit must be an integer from 1 to ${MAX_LIMIT}`, {
          param: 'limit',
        }),
      };
    }
    parsedLimit = Number(limit);
  }
  if (after === undefined) return { after: null, afterPublicId: null, limit: parsedLimit };
  const id = typeof after === 'string' ? parseId(after) : null;
  if (id === null) {
    return {
      error: errorResponse(400, 'invalid_cursor', `after must be the id of a ${kind} from a previous page`, {
        param: 'after',
      }),
    };
  }
  return { after: id, afterPublicId: after as string, limit: parsedLimit };
}

/**
 * One page of a list, newest first, keyset-paginated on (created_at, id) after the cursor's row:
 * OpenAI's `{object: "list", data, first_id, last_id, has_more}`.
 */
export async function listPage<Row extends { id: string; createdAt: Date }>(
  page: PageQuery,
  source: {
    find(where: object, take: number): Promise<Row[]>;
    cursorOf(id: string): Promise<{ id: string; createdAt: Date } | null>;
    render(row: Row): { id: string };
  },
): Promise<HttpResult> {
  let where: object = {};
  if (page.after !== null) {
    const cursor = await source.cursorOf(page.after);
    if (cursor === null) {
      return errorResponse(400, 'invalid_cursor', `after: no ${page.afterPublicId} to continue from`, {
        param: 'after',
      });
    }
    where = {
      OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }],
    };
  }
  const rows = await source.find(where, page.limit + 1);
  const data = rows.slice(0, page.limit).map(source.render);
  return {
    status: 200,
    body: {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: rows.length > page.limit,
    },
  };
}
