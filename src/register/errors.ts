/** A register operation refused, with the API error code the routes answer with. */
export class RegisterError extends Error {
  constructor(
    readonly code: 'not-found' | 'conflict' | 'validation-failed',
    message: string,
  ) {
    super(message);
    this.name = 'RegisterError';
  }
}
