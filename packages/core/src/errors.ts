/**
 * Base error of the core package. Core reports expected outcomes as values; this is thrown only for
 * caller mistakes (an invalid plan, a malformed money amount).
 */
export class CoreError extends Error {
  override readonly name: string = 'CoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
