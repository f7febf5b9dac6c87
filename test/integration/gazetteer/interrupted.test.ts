/**
 * An import stopped before it finished (Ctrl-C: the CLI aborts its signal)
 * used to leave its gazetteer_import row `running` for ever, with no
 * finished_at, and its staging schema in the database. Stopped, it drops
 * what it staged, cancels a statement in progress, and marks its row
 * `interrupted`; the previous gazetteer keeps serving. A row left running by
 * a process that was killed outright is marked by the next import.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GazetteerImportError, importGazetteer, type ImportOptions } from '../../../src/gazetteer/import.js';
import { ABP, fields } from '../../unit/gazetteer-readers/build.js';
import type { TestDatabase } from '../../support/db.js';
import { abpFile, abpPropertyRows, abpStreetRows, PROPERTIES } from '../../support/tiny-council.js';
import { scratchFiles, tinyGazetteerDatabase } from '../../support/gazetteer-files.js';

const scratch = scratchFiles('hub-gaz-stop-');
const file = scratch.file;

/** The tiny council as a FULL supply of `date`. */
const full = (date: string) => abpFile([...abpStreetRows(), ...PROPERTIES.flatMap((p) => abpPropertyRows(p))], 'F', { processDate: date });

describe('an interrupted gazetteer import', () => {
  let db: TestDatabase;
  const index = async () => (await db.pool.query(`SELECT lpi_key, uprn, pao_text FROM gazetteer.address_index ORDER BY lpi_key`)).rows;
  const staging = async () => (await db.pool.query(`SELECT nspname FROM pg_namespace WHERE nspname IN ('gazetteer_next', 'gazetteer_changes')`)).rows;
  const lastImport = async () =>
    (await db.pool.query(`SELECT status, finished_at IS NOT NULL AS finished, error FROM gazetteer_import ORDER BY id DESC LIMIT 1`)).rows[0] as Record<string, unknown>;
  const stopped = async (files: string[], options: ImportOptions) => {
    const error = await importGazetteer(db.url, files, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GazetteerImportError);
    return error as GazetteerImportError;
  };
  const INTERRUPTED = { status: 'interrupted', finished: true, error: 'interrupted before it finished: nothing was applied' };

  beforeAll(async () => {
    db = await tinyGazetteerDatabase(scratch);
  });
  afterAll(async () => {
    await db.drop();
    scratch.remove();
  });

  it('stopped while a FULL supply loads: drops the schema it was building, marks its row, leaves the gazetteer serving', async () => {
    const before = await index();
    const stop = new AbortController();
    const error = await stopped([file('AddressBasePremium_FULL_2026-02-01_001.csv', full('2026-02-01').replaceAll('ROSE COTTAGE', 'ROSE VILLA'))], {
      signal: stop.signal,
      // Called once the file is read, before its rows are indexed.
      onProgress: () => stop.abort(),
    });
    expect(error.message).toBe(INTERRUPTED.error);
    expect(await lastImport()).toEqual(INTERRUPTED);
    expect(await staging()).toEqual([]);
    expect(await index()).toEqual(before);
  });

  it('stopped while a change-only supply loads: applies nothing and drops its scratch tables', async () => {
    const before = await index();
    const stop = new AbortController();
    const lpi = fields(ABP[24], 24, { UPRN: 100004, LPI_KEY: '100004L1', LANGUAGE: 'ENG', LOGICAL_STATUS: 1, START_DATE: '2020-01-01', PAO_TEXT: 'ROSE VILLA', USRN: 7001 }, 'U');
    await stopped([file('AddressBasePremium_COU_2026-02-01_001.csv', abpFile([lpi], 'C', { processDate: '2026-02-01' }))], { signal: stop.signal, onProgress: () => stop.abort() });
    expect(await lastImport()).toEqual(INTERRUPTED);
    expect(await staging()).toEqual([]);
    expect(await index()).toEqual(before);
  });

  it('cancels a statement in progress when stopped, rather than waiting for it to end', async () => {
    const before = await index();
    // A reader of the live gazetteer holds the swap at the old schema's drop until it ends.
    const reader = new pg.Client({ connectionString: db.url });
    await reader.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM gazetteer.blpu');
      const stop = new AbortController();
      const importing = importGazetteer(db.url, [file('AddressBasePremium_FULL_2026-02-02_001.csv', full('2026-02-02'))], { signal: stop.signal }).catch((e: unknown) => e);
      const waiting = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'DROP SCHEMA gazetteer_old%'`;
      for (let i = 0; i < 500 && (await db.pool.query<{ n: number }>(waiting)).rows[0]!.n === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect((await db.pool.query<{ n: number }>(waiting)).rows[0]!.n).toBe(1);
      stop.abort();
      const error = await importing;
      expect(error).toBeInstanceOf(GazetteerImportError);
      expect(await lastImport()).toEqual(INTERRUPTED);
    } finally {
      await reader.query('ROLLBACK');
      await reader.end();
    }
    expect(await staging()).toEqual([]);
    expect(await index()).toEqual(before);
  });

  it('marks a row left running by a process that stopped without a word as interrupted, and drops what it staged, at the next import', async () => {
    const { id } = (await db.pool.query<{ id: number }>(`INSERT INTO gazetteer_import (file_names, format, file_type) VALUES ('{killed.csv}', 'abp', 'FULL') RETURNING id`)).rows[0]!;
    await db.pool.query(`CREATE SCHEMA gazetteer_next; CREATE SCHEMA gazetteer_changes`);
    await importGazetteer(db.url, [file('AddressBasePremium_FULL_2026-03-01_001.csv', full('2026-03-01'))]);
    expect((await db.pool.query(`SELECT status, finished_at IS NOT NULL AS finished, error FROM gazetteer_import WHERE id = $1`, [id])).rows[0]).toEqual({
      status: 'interrupted', finished: true, error: 'the process importing it stopped before it finished',
    });
    expect(await staging()).toEqual([]);
  });
});
