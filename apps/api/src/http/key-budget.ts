import { type ApiKeyPrincipal, type PrismaClient, remainingKeyBudgetUsd } from '@switchyard/db';
import { errorResponse, type HttpResult } from './error-response.js';

/**
 * 402 `key_budget_exhausted` when the key has a monthly budget and nothing of it is left (the worst
 * case of its calls in flight counts as spent); null when the request may go on.
 */
export async function exhaustedKeyBudget(
  prisma: PrismaClient,
  principal: ApiKeyPrincipal,
  details?: unknown,
): Promise<HttpResult | null> {
  if (principal.monthlyBudgetUsd === null) return null;
  const remaining = await remainingKeyBudgetUsd(prisma, principal.apiKeyId);
  if (remaining === null || Number(remaining) > 0) return null;
  return errorResponse(
    402,
    'key_budget_exhausted',
    `this API key has used its monthly budget of $${principal.monthlyBudgetUsd} (including calls in flight)`,
    details,
  );
}
