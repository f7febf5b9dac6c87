import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { startHub } from '../../../src/hub.js';
import { createIntake, ingestItems } from '../../../src/intake/ingest.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

describe('a hub starting', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('marks an intake left running by a stopped process as interrupted, and leaves a finished one alone', async () => {
    const source = { system: 'revenues', channel: 'file' as const, fileName: 'left.csv', rawFormat: 'csv' };
    // An intake row whose owning session is gone, as a killed `hub ingest` leaves it.
    const abandoned = (await db.pool.query<{ id: number }>("INSERT INTO intake (system, channel, file_name) VALUES ('revenues', 'file', 'left.csv') RETURNING id")).rows[0]!.id;
    const finished = await createIntake(db.pool, source);
    await ingestItems(db.pool, finished, source, (async function* () {})());

    const hub = await startHub(loadConfig({ DATABASE_URL: db.url, DATABASE_APP_URL: db.appUrl, PORT: '0', LOG_LEVEL: 'silent', HUB_DEMO: 'false' }), { api: false, workers: false });
    await hub.stop();

    const { rows } = await db.pool.query<{ id: number; status: string }>('SELECT id, status FROM intake ORDER BY id');
    expect(rows).toEqual([{ id: abandoned, status: 'interrupted' }, { id: finished, status: 'done' }]);
  }, 60_000);
});
