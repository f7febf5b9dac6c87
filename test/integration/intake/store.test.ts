/**
 * Storing a batch through COPY, and telling an intake whose process has gone
 * from one still running, on a real PostgreSQL.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefaultMapping, mapRecord, type Mapping, type MappedItem } from '../../../adapters/mapping/index.js';
import type { SourceRecord } from '../../../schemas/source-record.js';
import { createIntake, ingestItems, INTAKE_LOCK_CLASS, interruptAbandoned, type IntakeSource } from '../../../src/intake/ingest.js';
import { intakeById } from '../../../src/intake/queries.js';
import { contentHash, storeItems, type IntakeItem } from '../../../src/intake/store.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const account = (over: Record<string, string> = {}): Record<string, string> => ({
  ACCOUNT_REF: 'CT000101', LIABLE_PARTY_1: 'MR ALAN QUENTIN TESTER', LIABLE_PARTY_2: '', DOB_1: '03/04/1961', DOB_2: '',
  NINO_1: 'AB123456C', NINO_2: '', PROPERTY_REF: 'CTR0001001', ADDR_1: '12 MILL LANE', ADDR_2: 'NORTHBY', ADDR_3: '', ADDR_4: '',
  POSTCODE: 'ZZ1 1AB', PHONE: '07700 900123', EMAIL: 'alan.tester@example.org', DISCOUNT_CODES: 'SPD;DIS',
  DISCOUNT_VERIFIED_DATE: '01/02/2020', ACCOUNT_STATUS: 'LIVE', LAST_UPDATED: '01/06/2026 10:00:00', ...over,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('intake storing and ownership', () => {
  let db: TestDatabase;
  let mapping: Mapping;
  const source: IntakeSource = { system: 'revenues', channel: 'push', requestId: 'test', rawFormat: 'json' };

  beforeAll(async () => {
    db = await createTestDatabase();
    mapping = await loadDefaultMapping('revenues');
  });
  afterAll(async () => {
    await db.drop();
  });

  const recordOf = (fields: Record<string, string>): SourceRecord => {
    const [result] = mapRecord(mapping, { position: { index: 0 }, fields, raw: '' });
    if (!result || !('record' in result)) throw new Error('the account did not map');
    return result.record;
  };
  const item = (record: SourceRecord, raw = 'raw', index = 0): IntakeItem => ({ kind: 'record', record, raw, rawFormat: 'json', position: { requestId: 'test', index } });
  const inBatch = async <T>(fn: (client: pg.PoolClient, intakeId: number) => Promise<T>): Promise<T> => {
    const intakeId = (await db.pool.query<{ id: number }>(`INSERT INTO intake (system, channel, status) VALUES ('revenues', 'push', 'done') RETURNING id`)).rows[0]!.id;
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(client, intakeId);
      await client.query('COMMIT');
      return out;
    } finally {
      client.release();
    }
  };
  const versions = async (ref: string) => (await db.pool.query<{ id: number; version: number; current: boolean }>(
    `SELECT id, version, current FROM source_record WHERE system = 'revenues' AND source_ref = $1 ORDER BY version`, [ref])).rows;

  it('stores text with backslashes, tabs, line breaks and quotes exactly as given', async () => {
    const record = recordOf(account({ ACCOUNT_REF: 'CT\\0099\t1', ADDR_1: '12 "MILL" LANE \\ REAR', ADDR_2: 'NORTH\\nBY' }));
    const raw = 'CT\\0099\t1,"12 ""MILL"" LANE \\ REAR"\r\nsecond line\\N\t£ é';
    const [stored] = await inBatch((client, intakeId) => storeItems(client, intakeId, 'revenues', [item(record, raw)]));
    expect(stored?.outcome).toBe('accepted');
    const row = (await db.pool.query<{ sourceRef: string; record: unknown; raw: string; hash: Buffer; updated: Date | null }>(
      `SELECT source_ref AS "sourceRef", record, raw, content_hash AS hash, source_updated_at AS updated FROM source_record WHERE id = $1`, [stored!.id])).rows[0]!;
    expect(row.sourceRef).toBe(record.sourceRef);
    expect(row.record).toEqual(JSON.parse(JSON.stringify(record)));
    expect(row.raw).toBe(raw);
    expect(row.hash.equals(contentHash(record))).toBe(true);
    expect(row.updated?.toISOString()).toBe(new Date(record.sourceUpdatedAt!).toISOString());
  });

  it('works out one batch with a ref several times as if its items were stored one by one', async () => {
    const a = recordOf(account({ ACCOUNT_REF: 'CT000201' }));
    const b = recordOf(account({ ACCOUNT_REF: 'CT000202' }));
    await inBatch((client, intakeId) => storeItems(client, intakeId, 'revenues', [item(a), item(b)]));
    const bNewer = recordOf(account({ ACCOUNT_REF: 'CT000202', ADDR_1: '14 MILL LANE', LAST_UPDATED: '02/06/2026 10:00:00' }));
    const bNewest = recordOf(account({ ACCOUNT_REF: 'CT000202', ADDR_1: '16 MILL LANE', LAST_UPDATED: '03/06/2026 10:00:00' }));
    const bOlder = recordOf(account({ ACCOUNT_REF: 'CT000202', ADDR_1: '10 MILL LANE', LAST_UPDATED: '01/01/2026 10:00:00' }));
    const c = recordOf(account({ ACCOUNT_REF: 'CT000203' }));
    const out = await inBatch((client, intakeId) => storeItems(client, intakeId, 'revenues', [item(a), item(bNewer), item(bNewest), item(c), item(bOlder), item(c)]));
    expect(out.map((o) => o.outcome)).toEqual(['unchanged', 'superseded', 'superseded', 'accepted', 'stale', 'unchanged']);
    const bVersions = await versions(b.sourceRef);
    expect(bVersions.map((v) => [v.version, v.current])).toEqual([[1, false], [2, false], [3, true], [4, false]]);
    // The ids handed to the pipeline are those of the versions each item made current.
    expect([out[1]!.id, out[2]!.id]).toEqual([bVersions[1]!.id, bVersions[2]!.id]);
    expect(out[3]!.id).toBe((await versions(c.sourceRef))[0]!.id);
    expect([out[0]!.id, out[4]!.id, out[5]!.id]).toEqual([null, null, null]);
  });

  it('keeps read = accepted + unchanged + rejected over several batches, and hands every new current version to onAccepted', async () => {
    async function* items(): AsyncGenerator<MappedItem> {
      for (let i = 0; i < 7; i++) {
        const fields = account({ ACCOUNT_REF: `CT0003${String(i % 5).padStart(2, '0')}` });
        yield { position: { index: i }, raw: JSON.stringify(fields), record: recordOf(fields) };
      }
      yield { position: { index: 7 }, raw: '{}', reject: { field: 'ACCOUNT_REF', rule: 'required', message: 'no account reference' } };
    }
    const intakeId = await createIntake(db.pool, source);
    const handed: number[] = [];
    const counts = await ingestItems(db.pool, intakeId, source, items(), { batchSize: 3, onAccepted: async (ids) => void handed.push(...ids) });
    expect(counts).toEqual({ read: 8, accepted: 5, unchanged: 2, superseded: 0, stale: 0, rejected: 1 });
    expect(await intakeById(db.pool, intakeId)).toMatchObject({ status: 'done', read: 8, accepted: 5, unchanged: 2, rejected: 1 });
    const stored = (await db.pool.query<{ id: number }>(`SELECT id FROM source_record WHERE intake_id = $1 ORDER BY id`, [intakeId])).rows.map((r) => r.id);
    expect(handed.sort((x, y) => x - y)).toEqual(stored);
  });

  it('closes an intake whose items fail part-way as failed, with the batches before kept, and gives its session back', async () => {
    async function* items(): AsyncGenerator<MappedItem> {
      for (let i = 0; i < 4; i++) {
        const fields = account({ ACCOUNT_REF: `CT0004${String(i).padStart(2, '0')}` });
        yield { position: { index: i }, raw: JSON.stringify(fields), record: recordOf(fields) };
      }
      throw new Error('the extract ended early');
    }
    const small = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      const intakeId = await createIntake(small, source);
      await expect(ingestItems(small, intakeId, source, items(), { batchSize: 2 })).rejects.toThrow('the extract ended early');
      expect(await intakeById(small, intakeId)).toMatchObject({ status: 'failed', error: 'the extract ended early', read: 4, accepted: 4 });
    } finally {
      await small.end();
    }
  });

  it('shows a running intake whose owning session has gone as interrupted, and marks it so; a live one stays running', async () => {
    const live = await createIntake(db.pool, source);
    // An intake whose process died before this one started: running, but no session holds its lock.
    const orphan = (await db.pool.query<{ id: number }>(`INSERT INTO intake (system, channel) VALUES ('revenues', 'file') RETURNING id`)).rows[0]!.id;
    // One owned by another process's session, which then goes away.
    const owner = new pg.Client({ connectionString: db.url });
    await owner.connect();
    const owned = (await owner.query<{ id: number }>(`INSERT INTO intake (system, channel) VALUES ('revenues', 'file') RETURNING id`)).rows[0]!.id;
    // What the ingesting session does for an intake it did not create itself (CLAIM in src/intake/ingest.ts).
    await owner.query(`SELECT pg_advisory_lock(${INTAKE_LOCK_CLASS}, $1::int)`, [owned]);
    expect((await intakeById(db.pool, live))?.status).toBe('running');
    expect((await intakeById(db.pool, orphan))?.status).toBe('interrupted');
    expect((await intakeById(db.pool, owned))?.status).toBe('running');
    await owner.end();
    let shown = await intakeById(db.pool, owned);
    for (let i = 0; i < 100 && shown?.status === 'running'; i++) {
      await sleep(20);
      shown = await intakeById(db.pool, owned);
    }
    expect(shown?.status).toBe('interrupted');

    expect((await interruptAbandoned(db.pool)).sort((x, y) => x - y)).toEqual([orphan, owned]);
    const rows = (await db.pool.query<{ id: number; status: string; finished: boolean; error: string | null }>(
      `SELECT id, status, finished_at IS NOT NULL AS finished, error FROM intake WHERE id = ANY($1::bigint[]) ORDER BY id`, [[live, orphan, owned]])).rows;
    expect(rows.map((r) => [r.id, r.status, r.finished])).toEqual([[live, 'running', false], [orphan, 'interrupted', true], [owned, 'interrupted', true]]);
    expect(rows[1]!.error).toMatch(/stopped before it finished/);

    // The live intake finishes normally and gives its lock back.
    await ingestItems(db.pool, live, source, (async function* () {})());
    expect((await intakeById(db.pool, live))?.status).toBe('done');
    expect(await interruptAbandoned(db.pool)).toEqual([]);
  });
});

