/**
 * An address waiting in review (the matcher could not choose between 2 and
 * 2A MILL LANE) is no evidence of where someone lives: their view shows no
 * UPRN for it and no household from it, and they are no occupant of the
 * property the matcher ranked first; view and occupants agree. A steward's
 * decision then places them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CitizenView } from '../../../schemas/citizen-view.js';
import type { SourceRecord } from '../../../schemas/source-record.js';
import { AddressMatcher } from '../../../src/addresses/matcher.js';
import { matchSourceRecords } from '../../../src/addresses/records.js';
import { importGazetteer } from '../../../src/gazetteer/import.js';
import { createCitizen, MODEL } from '../../../src/linkage/accounts.js';
import { LinkedCitizenSource } from '../../../src/linkage/citizen-source.js';
import { personFeatures } from '../../../src/linkage/features.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { tinyAbp } from '../../support/tiny-council.js';
import { sourceRecord, store } from '../linkage/people.js';

describe('an address in review places nobody', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-review-household-'));
  let db: TestDatabase;
  const refs = new Map<string, string>();
  const ids = new Map<string, number>();

  /** A record stored, address-matched and indexed as linkage indexes it, in an account of its own. */
  async function person(record: SourceRecord): Promise<void> {
    const [id] = await store(db.pool, [record]);
    ids.set(record.sourceRef, id!);
    await matchSourceRecords(db.pool, new AddressMatcher(db.pool), [id!]);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      const matched = (await client.query<{ uprn: string | null }>("SELECT uprn FROM address_match WHERE source_record_id = $1 AND status = 'matched'", [id])).rows[0];
      await client.query('INSERT INTO person_record (system, source_ref, source_record_id, features) VALUES ($1, $2, $3, $4)',
        [record.system, record.sourceRef, id, JSON.stringify(personFeatures(record, matched?.uprn ?? null))]);
      const citizen = await createCitizen(client, MODEL, { system: record.system, sourceRef: record.sourceRef, linkedBy: 'model' });
      refs.set(record.sourceRef, (await client.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [citizen])).rows[0]!.ref);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  }
  const viewOf = async (sourceRef: string): Promise<CitizenView> => {
    const found = await new LinkedCitizenSource(db.pool).view(refs.get(sourceRef)!, '2026-06-01');
    return (found as { view: CitizenView }).view;
  };
  const occupants = (uprn: number) => new LinkedCitizenSource(db.pool).occupants(uprn);

  beforeAll(async () => {
    db = await createTestDatabase();
    const file = path.join(dir, 'AddressBasePremium_FULL_2026-01-01_001.csv');
    writeFileSync(file, tinyAbp());
    await importGazetteer(db.url, [file]);
    await person(sourceRecord({ system: 'revenues', ref: 'OLGA', forenames: ['OLGA'], surname: 'HOMEBODY', dob: '1960-01-01', lines: ['2 MILL LANE', 'NORTHBY'], postcode: 'ZZ1 1AB' }));
    await person(sourceRecord({ system: 'housing', ref: 'ZED', forenames: ['ZED'], surname: 'UNSURE', dob: '1985-01-01', lines: ['2-2A MILL LANE', 'NORTHBY'], postcode: 'ZZ1 1AB' }));
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows no UPRN and no household for an address in review, and lists nobody by it', async () => {
    const review = (await db.pool.query<{ status: string; uprn: number | null }>('SELECT status, uprn FROM address_match WHERE source_record_id = $1', [ids.get('ZED')])).rows[0]!;
    // The matcher's best guess is kept with the review item, and is 2 MILL LANE, where Olga lives.
    expect(review).toEqual({ status: 'review', uprn: 100001 });
    const zed = await viewOf('ZED');
    expect(zed.household).toEqual([]);
    expect(zed.addresses).toEqual([expect.objectContaining({ uprn: null, matchStatus: 'review', current: true, line: '2-2A MILL LANE, NORTHBY' })]);
    expect(await occupants(100001)).toEqual([refs.get('OLGA')]);
    expect((await viewOf('OLGA')).household).toEqual([]);
  });

  it("places them once a steward decides the address, in their view and the property's occupants alike", async () => {
    // As a steward's decision of 100001 leaves the record's match (the review route is tested in test/integration/addresses).
    await db.pool.query("UPDATE address_match SET status = 'matched', score = 1, decided_by = 'steward' WHERE source_record_id = $1", [ids.get('ZED')]);
    const zed = await viewOf('ZED');
    expect(zed.addresses?.[0]).toMatchObject({ uprn: 100001, matchStatus: 'matched' });
    expect(zed.household).toEqual([{ citizenRef: refs.get('OLGA'), name: 'OLGA HOMEBODY' }]);
    expect(new Set(await occupants(100001))).toEqual(new Set([refs.get('OLGA'), refs.get('ZED')]));
  });
});
