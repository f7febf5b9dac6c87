import { describe, expect, it } from 'vitest';
import { loadDefaultMapping, readAndMap, type MappedItem } from '../../../adapters/mapping/index.js';

const HEADER = 'ACCOUNT_REF,LIABLE_PARTY_1,LIABLE_PARTY_2,DOB_1,DOB_2,NINO_1,NINO_2,PROPERTY_REF,ADDR_1,ADDR_2,ADDR_3,ADDR_4,POSTCODE,PHONE,EMAIL,DISCOUNT_CODES,DISCOUNT_VERIFIED_DATE,ACCOUNT_STATUS,LAST_UPDATED';
const row = (ref: string, name = 'MR JOHN A SMITH', propertyRef = '00012345001') =>
  `"${ref}","${name}",,31/01/1970,,,,"${propertyRef}","1 TEST ROW",,,"TESTTOWN",AA1 1AA,,,"",,LIVE,05/04/2020 09:00:00`;

async function mapCsv(lines: string[]): Promise<MappedItem[]> {
  const mapping = await loadDefaultMapping('revenues');
  const out: MappedItem[] = [];
  for await (const m of readAndMap(mapping, Buffer.from(`${[HEADER, ...lines].join('\r\n')}\r\n`), { today: '2026-01-01' })) out.push(m);
  return out;
}

/** PostgreSQL text cannot hold U+0000: a record holding it is rejected by field, and the rest of the file goes on. */
describe('mapping records holding NUL', () => {
  it('rejects the record naming the field, mapped or not, and maps the others', async () => {
    const items = await mapCsv([row('CT0001'), row('CT0002', 'MR JOHN\u0000 SMITH'), row('CT0003', undefined, '0001\u00002345003'), row('CT0004')]);
    const outcomes = items.map((i) => ('record' in i ? i.record.sourceRef : { line: i.position.line, field: i.reject.field, rule: i.reject.rule }));
    expect(outcomes).toEqual(['CT0001-1', { line: 3, field: 'LIABLE_PARTY_1', rule: 'nul-character' }, { line: 4, field: 'PROPERTY_REF', rule: 'nul-character' }, 'CT0004-1']);
    for (const item of items) if ('reject' in item) expect(item.reject.message).not.toContain('SMITH');
  });

  it('rejects an XML record whose character reference is to NUL, naming the field, and maps the others', async () => {
    const mapping = await loadDefaultMapping('housing');
    const tenancy = (ref: string, surname: string, line = '1 TEST ROW') =>
      `<Tenancy ref="${ref}"><Property><Line>${line}</Line></Property><Tenant><Forename>ANN</Forename><Surname>${surname}</Surname></Tenant></Tenancy>`;
    const xml = `<Tenancies>${tenancy('HT1', 'LEE')}${tenancy('HT2', 'X&#x0;Y')}${tenancy('HT3', 'LEE', '1 TEST&#00; ROW')}${tenancy('HT4', 'O&#39;LEE')}</Tenancies>`;
    const items: MappedItem[] = [];
    for await (const m of readAndMap(mapping, Buffer.from(xml), { today: '2026-01-01' })) items.push(m);
    const outcomes = items.map((i) => ('record' in i ? i.record.names[0]?.surname : { index: i.position.index, field: i.reject.field, rule: i.reject.rule }));
    expect(outcomes).toEqual(['LEE', { index: 1, field: 'Tenant.Surname', rule: 'nul-character' }, { index: 2, field: 'Property.Line', rule: 'nul-character' }, "O'LEE"]);
  });
});
