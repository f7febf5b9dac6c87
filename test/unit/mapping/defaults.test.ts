import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { loadDefaultMapping, readAndMap, type MappedItem } from '../../../adapters/mapping/index.js';
import type { SourceRecord } from '../../../schemas/source-record.js';

async function mapAll(system: Parameters<typeof loadDefaultMapping>[0], bytes: Uint8Array): Promise<MappedItem[]> {
  const mapping = await loadDefaultMapping(system);
  const out: MappedItem[] = [];
  for await (const m of readAndMap(mapping, bytes, { today: '2026-01-01' }, { path: `${system}.sample` })) out.push(m);
  return out;
}

const recordsOf = (items: MappedItem[]): SourceRecord[] => items.flatMap((i) => ('record' in i ? [i.record] : []));
const rejectsOf = (items: MappedItem[]) => items.flatMap((i) => ('reject' in i ? [{ line: i.position.line, ...i.reject }] : []));

describe('default mapping: revenues council-tax CSV', () => {
  const csv = [
    'ACCOUNT_REF,LIABLE_PARTY_1,LIABLE_PARTY_2,DOB_1,DOB_2,NINO_1,NINO_2,PROPERTY_REF,ADDR_1,ADDR_2,ADDR_3,ADDR_4,POSTCODE,PHONE,EMAIL,DISCOUNT_CODES,DISCOUNT_VERIFIED_DATE,ACCOUNT_STATUS,LAST_UPDATED',
    '"CT0001","MR JOHN A SMITH","SMITH, MRS RENÉE",31/01/1970,02/03/1972,AB123456C,TN123456A,"00012345001","FLAT 1","1 TEST ROW",,"TESTTOWN",aa1 1aa,0113 496 0000,JS@EXAMPLE.ORG,"SPD;DIS",01/04/2020,LIVE,05/04/2020 09:00:00',
    '"CT0002","DR A B JONES JNR",,19/13/1980,,,,"00012345002","2 TEST ROW",,,"TESTTOWN",AA1 1AB,,,"",,CLOSED,06/04/2020 10:00:00',
    '"CT0003","BROKEN',
    '"CT0004","MS ZOE PATEL",,01/01/1990,,,,"00012345004","4 TEST ROW",,,"TESTTOWN",AA1 1AD,,,"",,LIVE,07/04/2020 11:00:00',
  ].join('\r\n');

  it('maps each liable party to its own record, decoding windows-1252', async () => {
    const items = await mapAll('revenues', iconv.encode(`${csv}\r\n`, 'windows-1252'));
    const recs = recordsOf(items);
    expect(recs.map((r) => r.sourceRef)).toEqual(['CT0001-1', 'CT0001-2', 'CT0002-1', 'CT0004-1']);
    const [john, renee, jones] = recs;
    expect(john).toMatchObject({
      system: 'revenues',
      names: [{ title: 'MR', forenames: ['JOHN', 'A'], surname: 'SMITH' }],
      dateOfBirth: '1970-01-31',
      identifiers: [
        { scheme: 'nino', value: 'AB123456C', valid: true },
        { scheme: 'council-tax-account', value: 'CT0001', valid: true },
      ],
      contacts: [
        { kind: 'phone', value: '+441134960000' },
        { kind: 'email', value: 'JS@example.org' },
      ],
      addresses: [{ lines: ['FLAT 1', '1 TEST ROW', 'TESTTOWN'], postcode: 'AA1 1AA', crossReference: '00012345001', kind: 'residential' }],
      entitlements: [
        { kind: 'single-person-discount', code: 'SPD', evidence: { verified: true, verifiedOn: '2020-04-01' } },
        { kind: 'disability-reduction', code: 'DIS', evidence: { verified: true, verifiedOn: '2020-04-01' } },
      ],
      involvements: [{ service: 'council tax', reference: 'CT0001', role: 'liable party', status: 'open' }],
      closed: false,
      sourceUpdatedAt: '2020-04-05T09:00:00Z',
      warnings: [],
    });
    expect(renee).toMatchObject({ names: [{ title: 'MRS', forenames: ['RENÉE'], surname: 'SMITH', raw: 'SMITH, MRS RENÉE' }], dateOfBirth: '1972-03-02' });
    expect(renee?.warnings).toEqual([expect.objectContaining({ field: 'NINO_2', rule: 'nino-temporary-number' })]);
    expect(jones).toMatchObject({ names: [{ title: 'DR', forenames: ['A', 'B'], surname: 'JONES', suffix: 'JNR' }], dateOfBirth: null, dateOfBirthRaw: '19/13/1980', closed: true });
    expect(jones?.involvements[0]?.status).toBe('closed');
    expect(jones?.warnings).toEqual([expect.objectContaining({ field: 'DOB_1', rule: 'date-invalid' })]);
    expect(rejectsOf(items)).toEqual([expect.objectContaining({ line: 4, rule: 'unreadable', message: expect.stringMatching(/^unclosed-quote/) })]);
  });

  it('warns once about a bad verification date shared by every discount code on the row', async () => {
    const row = '"CT0005","MS ZOE PATEL",,01/01/1990,,,,"00012345005","5 TEST ROW",,,"TESTTOWN",AA1 1AE,,,"SPD;DIS;CTR",31/02/2020,LIVE,07/04/2020 11:00:00';
    const [zoe] = recordsOf(await mapAll('revenues', new TextEncoder().encode(`${csv.split('\r\n')[0]}\r\n${row}\r\n`)));
    expect(zoe?.entitlements.map((e) => [e.code, e.evidence.verified, e.evidence.verifiedOn])).toEqual([['SPD', false, null], ['DIS', false, null], ['CTR', false, null]]);
    expect(zoe?.warnings).toEqual([expect.objectContaining({ field: 'DISCOUNT_VERIFIED_DATE', rule: 'date-invalid' })]);
  });
});

describe('default mapping: housing tenancies XML', () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Tenancies>
  <Tenancy ref="HT0001" status="current" updated="2024-02-01T08:00:00Z">
    <Property uprn="100000000001"><Line>FLAT 2</Line><Line>3 TEST ROW</Line><Line>TESTTOWN</Line><Postcode>AA1 1AA</Postcode></Property>
    <Tenant><Title>MS</Title><Forename>ANN</Forename><Surname>LEE</Surname><DateOfBirth>1980-05-06</DateOfBirth><NINO>AB 12 34 56 C</NINO><Phone>07911 123456</Phone><Email>ann@example.org</Email></Tenant>
    <Tenant><Title/><Forename>BO</Forename><Surname>LEE</Surname><DateOfBirth>2010-07-08</DateOfBirth><NINO/><Phone/><Email/></Tenant>
  </Tenancy>
  <Tenancy ref="HT0002" status="ended">
    <Property uprn="not-a-uprn"><Line>4 TEST ROW</Line><Postcode>AA1 1AB</Postcode></Property>
    <Tenant><Forename>CY</Forename><Surname>DAY</Surname><DateOfBirth>1990-01-01</DateOfBirth></Tenant>
  </Tenancy>
</Tenancies>
`;

  it('maps every tenant of a tenancy to its own record', async () => {
    const items = await mapAll('housing', new TextEncoder().encode(xml));
    const recs = recordsOf(items);
    expect(rejectsOf(items)).toEqual([]);
    expect(recs.map((r) => r.sourceRef)).toEqual(['HT0001-1', 'HT0001-2', 'HT0002-1']);
    expect(recs[0]).toMatchObject({
      system: 'housing',
      names: [{ title: 'MS', forenames: ['ANN'], surname: 'LEE', kind: 'current' }],
      dateOfBirth: '1980-05-06',
      identifiers: [
        { scheme: 'nino', value: 'AB123456C', valid: true },
        { scheme: 'housing-tenancy', value: 'HT0001' },
      ],
      contacts: [
        { kind: 'phone', value: '+447911123456', valid: true },
        { kind: 'email', value: 'ann@example.org', valid: true },
      ],
      addresses: [{ lines: ['FLAT 2', '3 TEST ROW', 'TESTTOWN'], postcode: 'AA1 1AA', uprn: 100000000001 }],
      involvements: [{ service: 'tenancy', reference: 'HT0001', role: 'tenant', status: 'open' }],
      closed: false,
      sourceUpdatedAt: '2024-02-01T08:00:00Z',
      warnings: [],
    });
    expect(recs[1]).toMatchObject({ names: [{ title: null, forenames: ['BO'] }], identifiers: [{ scheme: 'housing-tenancy' }], contacts: [] });
    expect(recs[2]).toMatchObject({ closed: true, addresses: [{ uprn: null }], involvements: [{ status: 'closed' }] });
    expect(recs[2]?.warnings).toEqual([expect.objectContaining({ field: 'Property.@uprn', rule: 'uprn-format' })]);
  });
});

describe('default mapping: social care clients JSON Lines', () => {
  const lines = [
    JSON.stringify({
      clientId: 'SC0001',
      name: { given: 'MARGARET', family: 'HOLT', preferred: 'PEGGY' },
      birthDate: '1941-09-10',
      nhsNumber: '943 476 5919',
      address: { lines: ['5 TEST ROW', 'TESTTOWN'], postcode: 'AA1 1AE' },
      phones: ['0113 496 0000', '07911 123456'],
      services: [
        { type: 'home care', start: '2022-01-10', end: null },
        { type: 'reablement', start: '2021-06-01', end: '2021-07-01' },
      ],
      disability: { registered: true, since: '2015-03-01' },
    }),
    '{"clientId": "SC0002", "name": {"given": "TOM"',
    JSON.stringify({ clientId: 'SC0003', name: { given: 'TOM', family: 'ASH', preferred: 'TOM' }, birthDate: '1960-02-03', nhsNumber: '9434765918', address: { lines: [], postcode: null }, phones: [], services: [], disability: { registered: false } }),
  ].join('\n');

  it('maps a client with its alias, services and disability registration', async () => {
    const items = await mapAll('social-care', new TextEncoder().encode(`${lines}\n`));
    const [peggy, tom] = recordsOf(items);
    expect(peggy).toMatchObject({
      system: 'social-care',
      sourceRef: 'SC0001',
      names: [
        { forenames: ['MARGARET'], surname: 'HOLT', kind: 'current' },
        { forenames: ['PEGGY'], surname: 'HOLT', kind: 'alias' },
      ],
      dateOfBirth: '1941-09-10',
      identifiers: [
        { scheme: 'nhs-number', value: '9434765919', valid: true },
        { scheme: 'social-care-id', value: 'SC0001' },
      ],
      contacts: [{ value: '+441134960000' }, { value: '+447911123456' }],
      addresses: [{ lines: ['5 TEST ROW', 'TESTTOWN'], postcode: 'AA1 1AE' }],
      entitlements: [{ kind: 'disability', code: 'TRUE', from: '2015-03-01', evidence: { verified: true, method: 'social care disability register' } }],
      involvements: [
        { service: 'home care', reference: 'SC0001', role: 'client', status: 'open', from: '2022-01-10', to: null },
        { service: 'reablement', status: 'closed', from: '2021-06-01', to: '2021-07-01' },
      ],
      warnings: [],
    });
    expect(tom).toMatchObject({ sourceRef: 'SC0003', names: [{ kind: 'current' }], entitlements: [], addresses: [], identifiers: [{ valid: false }, {}] });
    expect(tom?.names).toHaveLength(1);
    expect(tom?.warnings).toEqual([expect.objectContaining({ field: 'nhsNumber', rule: 'nhs-number-check-digit-mismatch' })]);
    expect(rejectsOf(items)).toEqual([expect.objectContaining({ line: 2, rule: 'unreadable', message: expect.stringMatching(/^invalid-json/) })]);
  });

  it('gives a client without a preferred name no alias: the family name alone is no other name', async () => {
    const jsonl = [
      { clientId: 'QT6', name: { given: 'T', family: 'SIX' } },
      { clientId: 'QT7', name: { given: 'ANN', family: 'SEVEN', preferred: '' } },
      { clientId: 'QT8', name: { family: 'EIGHT', preferred: 'BO' } },
    ].map((r) => JSON.stringify(r)).join('\n');
    const recs = recordsOf(await mapAll('social-care', new TextEncoder().encode(`${jsonl}\n`)));
    expect(recs.map((r) => r.names)).toEqual([
      [{ title: null, forenames: ['T'], surname: 'SIX', suffix: null, raw: null, kind: 'current' }],
      [{ title: null, forenames: ['ANN'], surname: 'SEVEN', suffix: null, raw: null, kind: 'current' }],
      [
        { title: null, forenames: [], surname: 'EIGHT', suffix: null, raw: null, kind: 'current' },
        { title: null, forenames: ['BO'], surname: 'EIGHT', suffix: null, raw: null, kind: 'alias' },
      ],
    ]);
  });
});

describe('default mapping: smartcard registrations CSV', () => {
  const csv = [
    'CARD_NUMBER,TITLE,FIRST_NAME,LAST_NAME,DATE_OF_BIRTH,ADDRESS,POSTCODE,CONCESSION,CONCESSION_EVIDENCE,ISSUED,EXPIRES,EMAIL,MOBILE',
    'SC-000001,Mrs,Edith,Cole,14/02/1950,"6 Test Row, Testtown",AA1 1AF,OAP,Passport seen,01/03/2021,28/02/2026,edith@example.org,07911 123456',
    'SC-000002,Mr,Raj,Shah,05/06/1985,"7 Test Row, Testtown",AA1 1AG,DIS,PIP award letter,01/05/2022,30/04/2025,,',
    'SC-000003,,Lee,Wong,07/08/1999,"8 Test Row",AA1 1AH,NONE,,01/01/2023,31/12/2027,,',
    'SC-000004,,Kim,Nash,07/08/1999,"9 Test Row",AA1 1AJ,VIP,,01/01/2023,31/12/2027,,',
  ].join('\n');

  it('maps cardholders with their concessions and evidence', async () => {
    const items = await mapAll('smartcard', new TextEncoder().encode(`${csv}\n`));
    const recs = recordsOf(items);
    expect(rejectsOf(items)).toEqual([]);
    expect(recs[0]).toMatchObject({
      system: 'smartcard',
      sourceRef: 'SC-000001',
      names: [{ title: 'MRS', forenames: ['Edith'], surname: 'Cole' }],
      dateOfBirth: '1950-02-14',
      identifiers: [{ scheme: 'smartcard-number', value: 'SC-000001' }],
      contacts: [
        { kind: 'email', value: 'edith@example.org' },
        { kind: 'phone', value: '+447911123456', use: 'mobile' },
      ],
      addresses: [{ lines: ['6 Test Row, Testtown'], postcode: 'AA1 1AF' }],
      entitlements: [{ kind: 'older-person-concession', code: 'OAP', from: '2021-03-01', to: '2026-02-28', evidence: { verified: true, method: 'Passport seen' } }],
      involvements: [{ service: 'concessionary travel', reference: 'SC-000001', role: 'cardholder', status: 'open', from: '2021-03-01', to: '2026-02-28' }],
      warnings: [],
    });
    expect(recs[1]?.entitlements).toEqual([
      { kind: 'disabled-person-concession', code: 'DIS', from: '2022-05-01', to: '2025-04-30', evidence: { verified: true, verifiedOn: null, method: 'PIP award letter' } },
    ]);
    expect(recs[2]?.entitlements).toEqual([]);
    expect(recs[2]?.warnings).toEqual([]);
    expect(recs[3]?.warnings).toEqual([expect.objectContaining({ field: 'CONCESSION', rule: 'unknown-code' })]);
  });

  it('warns once of a card that expires before it was issued, keeping both dates as given', async () => {
    const rows = [
      csv.split('\n')[0],
      'SC-000005,Mr,Al,Reed,05/06/1945,"5 Test Row",AA1 1AK,OAP,Passport seen,01/03/2024,28/02/2021,,',
      'SC-000006,Mr,Ed,Reed,05/06/1945,"5 Test Row",AA1 1AK,NONE,,01/03/2024,28/02/2021,,',
    ].join('\n');
    const [withConcession, without] = recordsOf(await mapAll('smartcard', new TextEncoder().encode(`${rows}\n`)));
    const warning = { field: 'EXPIRES', rule: 'ends-before-start', message: 'ends before it starts: the date is earlier than ISSUED' };
    expect(withConcession?.warnings).toEqual([warning]);
    expect(withConcession?.entitlements[0]).toMatchObject({ from: '2024-03-01', to: '2021-02-28' });
    expect(withConcession?.involvements[0]).toMatchObject({ from: '2024-03-01', to: '2021-02-28' });
    expect(without?.warnings).toEqual([warning]);
  });
});
