import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { Consent, Restriction, SharingAgreement, SharingAgreementCreate, SharingAgreementUpdate } from '../../../schemas/register.js';
import { agreement, consent, restriction } from './register-fixtures.js';

describe('register schemas', () => {
  it('accept the synthetic records', () => {
    expect(Value.Errors(SharingAgreement, agreement())).toEqual([]);
    expect(Value.Errors(Consent, consent())).toEqual([]);
    expect(Value.Errors(Restriction, restriction())).toEqual([]);
  });

  it('reject an unknown lawful basis, Art. 9 condition or category, naming the field', () => {
    const bad = { ...agreement(), lawfulBasis: 'because', art9Condition: { condition: 'k', text: 'x' }, categories: ['gossip'] };
    const paths = Value.Errors(SharingAgreement, bad).map((e) => e.instancePath);
    expect(paths).toEqual(expect.arrayContaining(['/lawfulBasis', '/art9Condition', '/categories/0']));
  });

  it('create takes no version; update requires the version it replaces', () => {
    const { version: _version, ...create } = agreement();
    expect(Value.Check(SharingAgreementCreate, create)).toBe(true);
    expect(Value.Check(SharingAgreementUpdate, { version: 2, status: 'suspended' })).toBe(true);
    expect(Value.Check(SharingAgreementUpdate, { status: 'suspended' })).toBe(false);
    expect(Value.Check(SharingAgreementUpdate, { version: 2, status: 'paused' })).toBe(false);
  });

  it('every schema carries an $id for the OpenAPI document', () => {
    const schemas = { SharingAgreement, SharingAgreementCreate, SharingAgreementUpdate, Consent, Restriction };
    for (const [name, schema] of Object.entries(schemas)) expect(schema).toHaveProperty('$id', name);
  });
});
