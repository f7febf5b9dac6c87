import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../../schemas/source-record.js';
import { createClient } from '../../../src/auth/clients.js';
import { loadPrepareTables, openLinkage, type LinkageContext } from '../../../src/linkage/context.js';
import { manualLink } from '../../../src/linkage/decisions.js';
import { exportMatches } from '../../../src/linkage/export.js';
import { buildCitizenView, type LinkedSource } from '../../../src/linkage/golden.js';
import { LinkedCitizenSource } from '../../../src/linkage/citizen-source.js';
import { linkAll } from '../../../src/linkage/batch.js';
import { linkOne } from '../../../src/linkage/link.js';
import { trainFromDatabase } from '../../../src/linkage/train.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { nhsNumber, population, sourceRecord, store, type PersonSpec } from './people.js';

const linked = (spec: PersonSpec, at: string, extra: Partial<LinkedSource> = {}): LinkedSource => ({
  system: spec.system, sourceRef: spec.ref, record: sourceRecord(spec), receivedAt: at, updatedAt: at, closed: spec.closed ?? false,
  linkedAt: at, linkedBy: 'model', addressMatch: null, ...extra,
});

describe('golden record by survivorship', () => {
  const person = { forenames: ['MARY'], surname: 'SMITH', sex: 'F' as const };
  const disability: SourceRecord['entitlements'][number] = {
    kind: 'disability', code: 'DIS', from: '2024-03-01', to: null, evidence: { verified: true, verifiedOn: '2024-03-01', method: 'GP letter' },
  };

  it('takes the verified date of birth over a more recent unverified one, and keeps provenance on every value', () => {
    const view = buildCitizenView('C0000000013', [
      linked({ ...person, system: 'housing', ref: 'H1', dob: '1950-05-04', lines: ['10 HIGH STREET', 'NORTHBY'], postcode: 'ZZ1 1AA' }, '2025-06-01T00:00:00.000Z'),
      linked({ ...person, system: 'social-care', ref: 'S1', dob: '1950-04-05', nhs: nhsNumber(42), entitlements: [disability] }, '2024-01-01T00:00:00.000Z'),
    ], [], '2026-06-01');
    expect(view.identity?.dateOfBirth).toEqual({ value: '1950-04-05', source: { system: 'social-care', sourceRef: 'S1', asOf: '2024-01-01T00:00:00.000Z', verified: true } });
    expect(view.identity?.nhsNumber?.source.system).toBe('social-care');
    expect(view.addresses?.[0]).toMatchObject({ line: '10 HIGH STREET, NORTHBY', current: true, matchStatus: 'unmatched', source: { system: 'housing', sourceRef: 'H1' } });
    expect(view.entitlements).toEqual([{ entitlement: disability, category: 'health-disability', status: 'current', holder: 'person', source: { system: 'social-care', sourceRef: 'S1', asOf: '2024-01-01T00:00:00.000Z', verified: true } }]);
    expect(view.sourceRecords?.map((r) => r.system)).toEqual(['housing', 'social-care']);
  });

  it('prefers the most recent value among equals, an open record over a closed one, and keeps other names', () => {
    const view = buildCitizenView('C0000000013', [
      linked({ ...person, system: 'housing', ref: 'H1', lines: ['1 OLD ROAD'], postcode: 'ZZ1 1AA', uprn: 100 }, '2020-01-01T00:00:00.000Z'),
      linked({ ...person, system: 'revenues', ref: 'R1', surname: 'SMITH-JONES', lines: ['2 NEW ROAD'], postcode: 'ZZ1 1AB', uprn: 200 }, '2025-01-01T00:00:00.000Z'),
      linked({ ...person, system: 'smartcard', ref: 'K1', surname: 'JONES', lines: ['3 LATEST ROAD'], postcode: 'ZZ1 1AC', closed: true }, '2026-01-01T00:00:00.000Z'),
    ], [], '2026-06-01');
    expect(view.addresses?.filter((a) => a.current).map((a) => a.uprn)).toEqual([200]);
    expect(view.addresses).toHaveLength(3);
    expect(view.identity?.name.value.surname).toBe('SMITH-JONES');
    expect(view.identity?.name.source.verified).toBe(true);
    expect(view.identity?.otherNames.map((n) => n.value.surname).sort()).toEqual(['JONES', 'SMITH']);
  });

  it('uses the address matcher\'s UPRN and status for the residential address', () => {
    const view = buildCitizenView('C0000000013', [
      linked({ ...person, system: 'housing', ref: 'H1', lines: ['FLAT 2, 5 HIGH ST'], postcode: 'ZZ1 1AA' }, '2025-01-01T00:00:00.000Z', { addressMatch: { uprn: 4242, status: 'matched' } }),
    ], [], '2026-06-01');
    expect(view.addresses?.[0]).toMatchObject({ uprn: 4242, matchStatus: 'matched', current: true });
  });
});

describe('citizen view and matches export from the database', () => {
  let db: TestDatabase;
  let ctx: LinkageContext;
  const add = async (...specs: PersonSpec[]) => {
    await store(db.pool, specs.map(sourceRecord));
    const out = [];
    for (const s of specs) out.push(await linkOne(ctx, s.system, s.ref));
    return out;
  };
  const refOf = async (id: number | null) => (await db.pool.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [id])).rows[0]!.ref;

  beforeAll(async () => {
    db = await createTestDatabase();
    await store(db.pool, population(21, 120));
    const tables = await loadPrepareTables();
    await trainFromDatabase(db.pool, tables, { seed: 5 });
    ctx = await openLinkage(db.pool, { tables });
    await linkAll(ctx);
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('builds the view with its household and redirects a merged reference', async () => {
    const home = { surname: 'ZBOROWSKI', lines: ['7 ORCHARD CLOSE', 'NORTHBY'], postcode: 'ZZ9 9ZZ', uprn: 900001 };
    const [amelia, olivia] = await add(
      { system: 'housing', ref: 'TW1', forenames: ['AMELIA'], dob: '2010-03-04', ...home },
      { system: 'revenues', ref: 'TW2', forenames: ['OLIVIA'], dob: '2010-03-05', ...home },
    );
    const [ameliaRef, oliviaRef] = [await refOf(amelia!.citizenId), await refOf(olivia!.citizenId)];
    const source = new LinkedCitizenSource(db.pool);
    const lookup = await source.view(ameliaRef, '2026-06-01');
    if (!lookup || !('view' in lookup)) return expect.fail('a view');
    expect(lookup.view.ref).toBe(ameliaRef);
    expect(lookup.view.identity?.name.value.forenames).toEqual(['AMELIA']);
    expect(lookup.view.household).toEqual([{ citizenRef: oliviaRef, name: 'OLIVIA ZBOROWSKI' }]);
    expect(lookup.view.sourceRecords).toMatchObject([{ system: 'housing', sourceRef: 'TW1', linkedBy: 'model', closed: false }]);

    const { client } = await createClient(db.pool, { org: 'Data Team', role: 'steward' });
    await manualLink(ctx, ameliaRef, 'revenues', 'TW2', { clientId: client.id, reason: 'test: one person after all' });
    expect(await source.view(oliviaRef, '2026-06-01')).toEqual({ redirectTo: ameliaRef });
    expect(await source.view('C0000000000', '2026-06-01')).toBeNull();
  });

  it('exports one row per current source record with its citizen reference', async () => {
    let text = '';
    const sink = new Writable({ write(chunk, _enc, done) { text += String(chunk); done(); } });
    const count = await exportMatches(db.pool, sink);
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    const current = Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM source_record WHERE current')).rows[0]!.n);
    expect(rows).toHaveLength(current);
    expect(count).toBe(current);
    expect(Object.keys(rows[0]!)).toEqual(['system', 'source_ref', 'citizen_ref', 'uprn', 'address_status', 'address_score']);
    expect(new Set(rows.map((r) => `${r.system}|${r.source_ref}`)).size).toBe(current);
    expect(rows.every((r) => /^C\d{10}$/.test(r.citizen_ref ?? ''))).toBe(true);
    expect(rows.find((r) => r.source_ref === 'TW1')).toMatchObject({ uprn: '900001', address_status: '' });
    const tw = rows.filter((r) => r.source_ref === 'TW1' || r.source_ref === 'TW2').map((r) => r.citizen_ref);
    expect(new Set(tw).size).toBe(1);
  });
});
