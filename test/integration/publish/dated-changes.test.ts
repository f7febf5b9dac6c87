/**
 * Entitlements and involvements begin and end on their dates with no record
 * changing: each day, the citizens whose views changed with it are announced
 * as citizen.updated, once, and nobody else; real intake, accounts and outbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../../schemas/source-record.js';
import { announceDatedChanges } from '../../../src/publish/dated-changes.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { oneAccount, sourceRecord, store } from '../linkage/people.js';

const evidence = { verified: true, verifiedOn: '2020-04-01', method: 'assessment' };

describe('changes that come with the calendar', () => {
  let db: TestDatabase;
  const person = (ref: string, change: Partial<SourceRecord>): SourceRecord => ({
    ...sourceRecord({ system: 'revenues', ref, forenames: ['WREN'], surname: `DATED${ref}`, dob: '1950-01-01' }), ...change,
  });
  const records = {
    endsOn10th: person('DC1', { entitlements: [{ kind: 'blue-badge', code: 'BB', from: '2020-01-01', to: '2026-03-10', evidence }] }),
    beginsOn12th: person('DC2', { entitlements: [{ kind: 'council-tax-reduction', code: 'CTR', from: '2026-03-12', to: null, evidence }] }),
    involvementEndsOn11th: person('DC3', { involvements: [{ service: 'tenancy', reference: 'T-1', role: 'tenant', status: 'open', from: null, to: '2026-03-11' }] }),
    closedRecord: person('DC4', { closed: true, entitlements: [{ kind: 'blue-badge', code: 'BB', from: '2020-01-01', to: '2026-03-10', evidence }] }),
    undated: person('DC5', { entitlements: [{ kind: 'carer', code: null, from: null, to: null, evidence }] }),
  };
  const refs = {} as Record<keyof typeof records, string>;
  /** The references announced by the outbox rows written since `after`. */
  const announcedSince = async (after: number) => (await db.pool.query<{ ref: string; event_type: string }>(
    'SELECT c.ref, o.event_type FROM citizen_outbox o JOIN citizen c ON c.id = o.citizen_id WHERE o.id > $1 ORDER BY c.ref', [after])).rows;
  const lastOutbox = async () => Number((await db.pool.query<{ id: string | null }>('SELECT max(id) AS id FROM citizen_outbox')).rows[0]!.id ?? 0);
  const day = async (today: string) => {
    const before = await lastOutbox();
    const count = await announceDatedChanges(db.pool, today);
    const announced = await announcedSince(before);
    expect(announced.length).toBe(count);
    return announced;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    for (const [name, record] of Object.entries(records)) {
      await store(db.pool, [record]);
      refs[name as keyof typeof records] = await oneAccount(db.pool, [record]);
    }
  });
  afterAll(async () => db?.drop());

  it('announces each citizen on the day their award ends or begins or their involvement closes, once, and nobody else', async () => {
    // The first run marks its day only: what was read before was read as of its own day.
    expect(await day('2026-03-09')).toEqual([]);
    expect(await day('2026-03-10')).toEqual([]);
    // The 10th was the blue badge's last day: from the 11th it reads ended. A closed record's award had ended already.
    expect(await day('2026-03-11')).toEqual([{ ref: refs.endsOn10th, event_type: 'citizen.updated' }]);
    expect(await day('2026-03-11')).toEqual([]);
    // A run missed for a day (a stopped hub) catches up with both days at once.
    expect((await day('2026-03-13')).map((a) => [a.ref, a.event_type]).sort()).toEqual([
      [refs.beginsOn12th, 'citizen.updated'], [refs.involvementEndsOn11th, 'citizen.updated'],
    ].sort());
    // A day gone back to (a clock set wrong) announces nothing again.
    expect(await day('2026-03-12')).toEqual([]);
  });
});
