/**
 * A housing XML extract through the file intake: one malformed tenancy is
 * one reject, and every tenancy after it is read, stored and counted
 * (read = accepted + unchanged + rejected); character references are read.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFile } from '../../../src/intake/ingest-file.js';
import { rejectsOf } from '../../../src/intake/queries.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const tenancy = (n: number, forename = 'ANN', surname = `TESTER${'ABCDEFG'[n - 1]}`, line = `${n} MILL LANE`) => `  <Tenancy ref="HT90${n}" status="current">
    <Property><Line>${line}</Line><Line>NORTHBY</Line><Postcode>ZZ1 1AB</Postcode></Property>
    <Tenant><Title>MS</Title><Forename>${forename}</Forename><Surname>${surname}</Surname><DateOfBirth>1980-05-0${n}</DateOfBirth></Tenant>
  </Tenancy>
`;
const extract = (tenancies: string[]) => `<?xml version="1.0" encoding="UTF-8"?>\n<Tenancies>\n${tenancies.join('')}</Tenancies>\n`;

describe('housing XML file intake', () => {
  let db: TestDatabase;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-xml-'));
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ingest = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return ingestFile(db.pool, 'housing', file, { today: '2026-07-01' });
  };
  const stored = async (refs: string[]) => (await db.pool.query<{ source_ref: string; surname: string; forenames: string[]; line: string }>(
    `SELECT source_ref, record->'names'->0->>'surname' AS surname, ARRAY(SELECT jsonb_array_elements_text(record->'names'->0->'forenames')) AS forenames,
            record->'addresses'->0->'lines'->>0 AS line
       FROM source_record WHERE system = 'housing' AND current AND source_ref = ANY ($1) ORDER BY source_ref`, [refs])).rows;

  it('rejects the one malformed tenancy and takes in every tenancy after it', async () => {
    for (const [name, broken] of [['obrien.xml', tenancy(2, 'ANN', 'O<BRIEN')], ['middle.xml', tenancy(2, 'ANN<Middle>X')]] as const) {
      await db.pool.query('TRUNCATE source_record, intake CASCADE');
      const { intakeId, counts } = await ingest(name, extract([1, 2, 3, 4, 5, 6, 7].map((n) => (n === 2 ? broken : tenancy(n)))));
      expect(counts, name).toMatchObject({ read: 7, accepted: 6, unchanged: 0, rejected: 1 });
      const refs = ['HT901-1', 'HT902-1', 'HT903-1', 'HT904-1', 'HT905-1', 'HT906-1', 'HT907-1'];
      expect((await stored(refs)).map((r) => r.source_ref), name).toEqual(refs.filter((r) => r !== 'HT902-1'));
      const rejects = await rejectsOf(db.pool, 'housing', { intakeId, limit: 10 });
      expect(rejects, name).toHaveLength(1);
      expect(rejects[0], name).toMatchObject({ position: { line: 7, index: 1 }, rule: 'unreadable', reason: expect.stringMatching(/^malformed-xml: InvalidTag \(record line 3, column \d+\)$/) });
      expect(JSON.stringify(rejects[0]?.reason), name).not.toMatch(/BRIEN|Middle/);
    }
  });

  it('reads character references, and rejects a tenant whose reference is to NUL by its field', async () => {
    await db.pool.query('TRUNCATE source_record, intake CASCADE');
    const { intakeId, counts } = await ingest('refs.xml', extract([
      tenancy(1, 'REN&#201;E', 'O&#39;BRIEN', '12 ST MARY&#39;S ROAD'),
      tenancy(2, 'ZO&#xCB;', 'AT&amp;#39;T'),
      tenancy(3, 'X&#x0;Y'),
    ]));
    expect(counts).toMatchObject({ read: 3, accepted: 2, rejected: 1 });
    expect(await stored(['HT901-1', 'HT902-1'])).toEqual([
      { source_ref: 'HT901-1', forenames: ['RENÉE'], surname: "O'BRIEN", line: "12 ST MARY'S ROAD" },
      { source_ref: 'HT902-1', forenames: ['ZOË'], surname: 'AT&#39;T', line: '2 MILL LANE' },
    ]);
    const [reject] = await rejectsOf(db.pool, 'housing', { intakeId, limit: 10 });
    expect(reject).toMatchObject({ position: { index: 2 }, field: 'Tenant.Forename', rule: 'nul-character' });
  });
});
