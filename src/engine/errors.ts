// Errors a caller made, for routes and the CLI to answer with the field at fault.

/** An error a caller made; `field` names the input at fault (`body.channel`, `params.id`). */
export class EngineError extends Error {
  constructor(
    readonly code: 'invalid' | 'not_found' | 'conflict' | 'unavailable',
    readonly field: string | undefined,
    message: string,
  ) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'EngineError';
  }
}
