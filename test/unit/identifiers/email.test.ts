import { describe, expect, it } from 'vitest';
import { validateEmail } from '../../../matching/identifiers/email.js';

describe('validateEmail', () => {
  it('lower-cases the domain only', () => {
    expect(validateEmail(' Jo.Bloggs@Example.ORG ')).toEqual({ valid: true, normalised: 'Jo.Bloggs@example.org' });
  });
  it('refuses text without a local part, domain or with bad dots', () => {
    expect(validateEmail('@example.org').valid).toBe(false);
    expect(validateEmail('jo@').valid).toBe(false);
    expect(validateEmail('jo..b@example.org').problem).toBe('invalid local part');
    expect(validateEmail('jo@example').problem).toBe('invalid domain');
  });
});
