/**
 * The lookups of citizen search, call pop-up and the household each have an
 * index behind them, the partial ones too (migration 024: their predicate
 * must follow from the lookup). Planned as a prepared statement's generic
 * plan, with sequential scans and hash and merge joins off, so that a plan
 * names the index exactly when the index can serve the lookup.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseSurname } from '../../../matching/person/index.js';
import { criteriaOf, VIEW } from '../../../src/linkage/citizen-source.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

let db: TestDatabase;
let client: pg.PoolClient;

beforeAll(async () => {
  db = await createTestDatabase();
  client = await db.pool.connect();
  await client.query('SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off; SET enable_hashjoin = off; SET enable_mergejoin = off');
});

afterAll(async () => {
  client.release();
  await db.drop();
});

let planned = 0;

async function plan(sql: string, values: unknown[]): Promise<string> {
  const name = `q${++planned}`;
  await client.query(`PREPARE ${name} AS ${sql}`);
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE ${name}(${values.map((v) => pg.Client.prototype.escapeLiteral(String(v))).join(', ')})`);
  await client.query(`DEALLOCATE ${name}`);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

describe('citizen lookups', () => {
  const cases = [
    ['phone', { phone: '07700 900123' }, 'person_record_phones'],
    ['email', { email: 'someone@example.org' }, 'person_record_emails'],
    ['NHS number', { nhsNumber: '943 476 5919' }, 'person_record_nhs'],
    ['NI number', { nino: 'QQ 12 34 56 C' }, 'person_record_nino'],
    ['UPRN', { uprn: 100023336956 }, 'person_record_uprn'],
    ['date of birth', { dob: '1970-01-01' }, 'person_record_dob'],
  ] as const;
  for (const [what, search, index] of cases) {
    it(`by ${what} uses ${index}`, async () => {
      const [criterion] = criteriaOf(search);
      const text = await plan(`SELECT p.system FROM person_record p WHERE ${criterion!.where.replaceAll('$n', '$1')}`, [criterion!.value]);
      expect(text).toContain(index);
      expect(text).not.toMatch(/Seq Scan on person_record/);
    });
  }

  it('by surname uses person_record_surname_keys', async () => {
    const [criterion] = criteriaOf({ surname: "O'CONNOR" });
    const text = await plan(`SELECT p.system FROM person_record p WHERE ${criterion!.where.replaceAll('$n', '$1')}`, [criterion!.value]);
    expect(text).toContain('person_record_surname_keys');
    expect(text).not.toMatch(/Seq Scan on person_record/);
  });

  it("a citizen's household is found through person_record_uprn", async () => {
    const text = await plan(VIEW, ['C0000000001']);
    expect(text).toContain('person_record_uprn');
  });
});

describe('surname search keys (migration 042)', () => {
  it('are the joined form and the parts that person linkage makes of a surname', async () => {
    const names = [
      "O'CONNOR", 'O’Connor', 'OCONNOR', 'BURTON-HALL', 'Burton Hall', 'DE LA CRUZ', 'de la Cruz', "M'DONALD", 'MC DONALD', 'McDonald',
      'MACDONALD', 'SMITH JNR', 'SMITH JR.', 'QUILLFEATHER SR.', 'JOSÉ-MARÍA', 'Zoë', 'ST. JOHN', 'VAN DER BERG', 'MRS SMITH',
      'SMITH-JONES-BROWN', 'AL-SAYED', '  LEE  ', 'DU', 'M', 'JONES III', "D'ARCY", 'NGUYỄN', 'ÆLFRIC', '.', 'O`NEILL',
    ];
    const { rows } = await client.query<{ name: string; keys: string[] }>('SELECT n AS name, citizen_surname_keys(n) AS keys FROM unnest($1::text[]) AS n', [names]);
    for (const { name, keys } of rows) {
      const expected = normaliseSurname(name);
      const want = expected === null ? [] : [expected.joined, ...[...new Set(expected.parts)].filter((p) => p !== expected.joined).sort()];
      expect(keys, name).toEqual(want);
    }
  });

  it('agree with person linkage on every letter and mark of the Latin blocks, between letters and alone', async () => {
    const ranges = [[0xa0, 0x24f], [0x1e00, 0x1eff], [0x300, 0x36f], [0x1ab0, 0x1aff], [0x1dc0, 0x1dff], [0x20d0, 0x20ff], [0xfe20, 0xfe2f], [0xfb00, 0xfb06], [0x2c60, 0x2c7f], [0xa720, 0xa7ff]];
    // Unassigned code points left out, on either side: no name holds them, and Node and PostgreSQL know different Unicode versions.
    const chars = ranges.flatMap(([from, to]) => Array.from({ length: to! - from! + 1 }, (_, i) => String.fromCodePoint(from! + i))).filter((ch) => /\P{Cn}/u.test(ch));
    const names = chars.flatMap((ch) => [`KA${ch}RL`, ch, `O${ch} NEIL`]);
    const { rows } = await client.query<{ name: string; keys: string[] }>(
      'SELECT n AS name, citizen_surname_keys(n) AS keys FROM unnest($1::text[]) AS n WHERE unicode_assigned(n)', [names]);
    expect(rows.length).toBeGreaterThan(2_000);
    const differ = rows.flatMap(({ name, keys }) => {
      const expected = normaliseSurname(name);
      const want = expected === null ? [] : [expected.joined, ...[...new Set(expected.parts)].filter((p) => p !== expected.joined).sort()];
      return JSON.stringify(keys) === JSON.stringify(want) ? [] : [`${name} (U+${[...name].map((c) => c.codePointAt(0)!.toString(16)).join(' ')}): ${JSON.stringify(keys)} not ${JSON.stringify(want)}`];
    });
    expect(differ).toEqual([]);
  });
});
