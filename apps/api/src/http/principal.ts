import type { ApiKeyPrincipal } from '@switchyard/db';
import type { Response } from 'express';

/** The API key a request was authenticated with; set by `authenticate`, read by every /v1 handler. */
export function principalOf(response: Response): ApiKeyPrincipal {
  const principal = response.locals.principal as ApiKeyPrincipal | undefined;
  if (!principal) throw new Error('handler mounted without authentication');
  return principal;
}
