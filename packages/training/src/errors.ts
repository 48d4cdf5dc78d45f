/** Base error of the training package: thrown for unusable training input (no examples, bad options). */
export class TrainingError extends Error {
  override readonly name: string = 'TrainingError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
