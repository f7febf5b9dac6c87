/** One input field refused: where it is in the input (dotted, e.g. parties.recipients.0) and the rule it breaks. */
export interface FieldError {
  path: string;
  message: string;
}

/** A register operation refused, with the API error code the routes answer with and the fields at fault. */
export class RegisterError extends Error {
  constructor(
    readonly code: 'not-found' | 'conflict' | 'validation-failed' | 'agreement-ended' | 'status-transition-not-allowed',
    message: string,
    readonly fields: readonly FieldError[] = [],
  ) {
    super(message);
    this.name = 'RegisterError';
  }
}

/** The fields' refusals as one sentence for people: `path: rule; path: rule`. */
export const describeFields = (fields: readonly FieldError[]): string => fields.map((f) => `${f.path}: ${f.message}`).join('; ');

/** Fields that break rules of the register: 400, naming each field and its rule. */
export function invalidFields(fields: readonly FieldError[]): RegisterError {
  return new RegisterError('validation-failed', describeFields(fields), fields);
}

export const invalidField = (path: string, rule: string): RegisterError => invalidFields([{ path, message: rule }]);
