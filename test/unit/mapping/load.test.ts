import { describe, expect, it } from 'vitest';
import { MappingError, parseMapping, type MappingIssue } from '../../../adapters/mapping/index.js';

const base = `
version: 1
system: revenues
reader: { kind: csv, encoding: windows-1252 }
sourceRef: ACCOUNT_REF
name: { full: NAME }
`;

function issuesOf(text: string): MappingIssue[] {
  try {
    parseMapping(text, 'council-tax.yaml');
  } catch (e) {
    if (e instanceof MappingError) return e.issues;
    throw e;
  }
  throw new Error('the mapping was accepted');
}

describe('mapping validation', () => {
  it('accepts a minimal mapping', () => {
    expect(parseMapping(base, 'm.yaml')).toMatchObject({ system: 'revenues', reader: { kind: 'csv', encoding: 'windows-1252' } });
  });

  it('names the file, the path and the rule', () => {
    try {
      parseMapping(`${base}dateOfBirth: { field: DOB }\n`, 'council-tax.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MappingError);
      expect((e as MappingError).message).toContain('council-tax.yaml: /dateOfBirth/formats: required: is missing');
    }
  });

  it.each([
    [`${base}entitlements:\n  - { field: C, codes: { DIS: { kind: free-money } } }\n`, '/entitlements/0/codes/DIS/kind', 'one-of'],
    [`${base}colour: blue\n`, '/colour', 'additionalProperties'],
    [base.replace('version: 1', 'version: 2'), '/version', 'const'],
    [base.replace('kind: csv,', 'kind: csv, delimiter: ";;",'), '/reader/delimiter', 'maxLength'],
    [base.replace('kind: csv,', 'kind: csv, colour: red,'), '/reader/colour', 'additionalProperties'],
    [base.replace('windows-1252', 'klingon-8'), '/reader/encoding', 'encoding'],
    [`${base}dateOfBirth: { field: DOB, formats: [MM/YYYY] }\n`, '/dateOfBirth/formats/0', 'date-format'],
    [`${base}identifiers:\n  - { scheme: nino, field: $party.nino }\n`, '/identifiers/0/field', 'party-path'],
    [`${base}parties: { columns: [{ name: N1 }] }\nidentifiers:\n  - { scheme: nino, field: $party.nino }\n`, '/identifiers/0/field', 'party-field'],
    [`${base}parties: { columns: [{ name: N1 }], each: Tenant }\n`, '/parties', 'parties-form'],
    [`${base}involvements:\n  - { service: $item.type, reference: ACCOUNT_REF }\n`, '/involvements/0/service', 'item-path'],
    [base.replace('name: { full: NAME }', 'name: { forenames: F }'), '/name', 'name-source'],
    [`${base}identifiers:\n  - { scheme: uprn, field: U }\n`, '/identifiers/0/scheme', 'one-of'],
    [base.replace('kind: csv,', 'kind: csv, columns: [ACCOUNT_REF, FULL_NAME],'), '/name/full', 'layout-column'],
    [base.replace('{ kind: csv, encoding: windows-1252 }', '{ kind: fixed-width, columns: [{ name: ACCOUNT_REF, start: 1, length: 8 }, { name: NAME, start: 9, length: 30 }] }')
      + 'dateOfBirth: { field: DOB, formats: [DD/MM/YYYY] }\n', '/dateOfBirth/field', 'layout-column'],
  ])('reports %#', (text, path, rule) => {
    expect(issuesOf(text)).toContainEqual(expect.objectContaining({ path, rule }));
  });

  it('takes a layout that names every column the mapping reads', () => {
    const fixed = base.replace('{ kind: csv, encoding: windows-1252 }', '{ kind: fixed-width, columns: [{ name: ACCOUNT_REF, start: 1, length: 8 }, { name: NAME, start: 9, length: 30 }] }');
    expect(parseMapping(fixed, 'm.yaml')).toMatchObject({ reader: { kind: 'fixed-width' } });
    expect(parseMapping(base.replace('kind: csv,', 'kind: csv, columns: [ACCOUNT_REF, NAME],'), 'm.yaml')).toMatchObject({ reader: { columns: ['ACCOUNT_REF', 'NAME'] } });
  });

  it('lists the allowed values of a vocabulary once', () => {
    const issues = issuesOf(`${base}contacts:\n  - { kind: fax, field: F }\n`);
    expect(issues).toEqual([{ path: '/contacts/0/kind', rule: 'one-of', message: 'must be one of: phone, email' }]);
  });

  it('lists every value outside its vocabulary with the file\'s other problems, however long the vocabularies', () => {
    const issues = issuesOf(`${base}identifiers:\n  - { scheme: passport, field: P }\ncontacts:\n  - { kind: fax }\n`
      + 'entitlements:\n  - { field: C, codes: { A: { kind: free-money } }, verified: sometimes }\nsex: { field: S, codes: { M: Q } }\n');
    expect(issues).toEqual(expect.arrayContaining([
      { path: '/identifiers/0/scheme', rule: 'one-of', message: 'must be one of: nhs-number, nino, council-tax-account, housing-tenancy, social-care-id, smartcard-number, other' },
      { path: '/contacts/0/kind', rule: 'one-of', message: 'must be one of: phone, email' },
      { path: '/contacts/0/field', rule: 'required', message: 'is missing' },
      {
        path: '/entitlements/0/codes/A/kind', rule: 'one-of',
        message: 'must be one of: disability, blue-badge, older-person-concession, disabled-person-concession, council-tax-reduction, single-person-discount, disability-reduction, housing-benefit, free-school-meals, carer, other',
      },
      { path: '/entitlements/0/verified', rule: 'one-of', message: 'must be one of: always, never, if-evidence' },
      { path: '/sex/codes/M', rule: 'one-of', message: 'must be one of: M, F, X' },
    ]));
    expect(issues).toHaveLength(6);
  });

  it('reports unreadable YAML as a syntax issue', () => {
    expect(issuesOf('version: [1\n')).toEqual([expect.objectContaining({ path: '', rule: 'syntax' })]);
  });
});
