/**
 * Survivorship by since when a source has asserted a value (issue 6.6: the
 * most recent value wins). A system that still holds someone's old address,
 * and sends it again with another change, must not move them back; when it
 * really changes the address, that is news. Through the real intake (the
 * stored asserted-since maps), the migration's backfill and the citizen
 * source's view.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../../schemas/source-record.js';
import { MIGRATIONS_DIR } from '../../../src/db/migrate.js';
import { valueKeys } from '../../../src/intake/asserted-since.js';
import { LinkedCitizenSource } from '../../../src/linkage/citizen-source.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { oneAccount, sourceRecord, store, type PersonSpec } from './people.js';

const OLD = { lines: ['3 TANNERY YARD', 'NORTHBY'], postcode: 'ZZ9 9TY', uprn: 700001 };
const NEW = { lines: ['11 WEIR LANE', 'SOUTHBY'], postcode: 'ZZ8 8WL', uprn: 700002 };
const THIRD = { lines: ['2 KILN COURT', 'NORTHBY'], postcode: 'ZZ9 9KC', uprn: 700003 };
const gwen = { forenames: ['GWENDOLINE'], surname: 'ASHBOURNE', dob: '1961-09-09' };

describe('survivorship by since when each value has been asserted', () => {
  let db: TestDatabase;
  let ref = '';
  const put = async (spec: PersonSpec & { emails?: string[] }) => {
    const record: SourceRecord = sourceRecord(spec);
    for (const email of spec.emails ?? []) record.contacts.push({ kind: 'email', value: email, raw: email, valid: true, use: null });
    await store(db.pool, [record]);
  };
  const view = async () => {
    const found = await new LinkedCitizenSource(db.pool).view(ref, '2026-06-01');
    if (!found || !('view' in found)) throw new Error('no view');
    return found.view;
  };
  const currentAddress = async () => (await view()).addresses!.find((a) => a.current)!.line;
  const since = async (system: string, sourceRef: string) => (await db.pool.query<{ since: Record<string, string | null> }>(
    'SELECT asserted_since AS since FROM source_record WHERE system = $1 AND source_ref = $2 AND current', [system, sourceRef])).rows[0]!.since;

  beforeAll(async () => {
    db = await createTestDatabase();
    await put({ ...gwen, ...OLD, system: 'housing', ref: 'HGA1', updatedAt: '2024-01-01T09:00:00Z' });
    await put({ ...gwen, ...OLD, system: 'revenues', ref: 'RGA1', phone: '+447700900111', emails: ['gwen.old@example.org'], updatedAt: '2024-01-02T09:00:00Z' });
    const stored = await db.pool.query<{ record: SourceRecord }>(
      "SELECT record FROM source_record WHERE current AND (system, source_ref) IN (('housing', 'HGA1'), ('revenues', 'RGA1')) ORDER BY system");
    ref = await oneAccount(db.pool, stored.rows.map((r) => r.record));
  }, 120_000);
  afterAll(async () => db?.drop());

  it('keeps the address a system moved the person to when a stale system re-sends the old one with another change', async () => {
    await put({ ...gwen, ...NEW, system: 'housing', ref: 'HGA1', emails: ['gwen.new@example.org'], updatedAt: '2025-06-01T09:00:00Z' });
    expect(await currentAddress()).toBe('11 WEIR LANE, SOUTHBY');
    // Revenues still holds the old address and email; only the phone number is new.
    await put({ ...gwen, ...OLD, system: 'revenues', ref: 'RGA1', phone: '+447700900222', emails: ['gwen.old@example.org'], updatedAt: '2025-09-01T09:00:00Z' });
    const seen = await view();
    expect(seen.addresses!.find((a) => a.current)!.line).toBe('11 WEIR LANE, SOUTHBY');
    // Contacts too: the email housing gave in 2025 comes before the one revenues has held since 2024; the new phone is revenues' news.
    const emails = seen.contact!.filter((c) => c.contact.kind === 'email').map((c) => c.contact.value);
    expect(emails).toEqual(['gwen.new@example.org', 'gwen.old@example.org']);
    expect(seen.contact!.find((c) => c.contact.kind === 'phone')!.contact.value).toBe('+447700900222');
    const stored = await since('revenues', 'RGA1');
    expect(stored[valueKeys(sourceRecord({ ...gwen, ...OLD, system: 'revenues', ref: 'RGA1' })).find((k) => k.startsWith('a:'))!]).toBe('2024-01-02T09:00:00.000Z');
  });

  it('takes a new address the stale system really gives as news', async () => {
    await put({ ...gwen, ...THIRD, system: 'revenues', ref: 'RGA1', phone: '+447700900222', emails: ['gwen.old@example.org'], updatedAt: '2025-12-01T09:00:00Z' });
    expect(await currentAddress()).toBe('2 KILN COURT, NORTHBY');
    // A value given again after a version without it is asserted anew.
    await put({ ...gwen, ...OLD, system: 'revenues', ref: 'RGA1', phone: '+447700900222', emails: ['gwen.old@example.org'], updatedAt: '2026-01-05T09:00:00Z' });
    expect(await currentAddress()).toBe('3 TANNERY YARD, NORTHBY');
  });

  it('keys values in SQL exactly as intake does', async () => {
    const record = sourceRecord({ ...gwen, system: 'housing', ref: 'K1', lines: ["FLAT 2, O'HARA HOUSE", '', 'NORTHBY'], postcode: null, phone: '+447700900333', suffix: 'JNR' });
    record.names.push({ title: null, forenames: ['GWEN', 'MAY'], surname: 'ASHBOURNE-LEIGH', suffix: null, raw: null, kind: 'previous' });
    record.addresses.push({ lines: ['PO BOX 12'], postcode: 'ZZ9 9PB', uprn: null, crossReference: null, kind: 'correspondence', from: null, to: null });
    const { rows } = await db.pool.query<{ key: string }>('SELECT source_record_value_keys($1::jsonb) AS key', [JSON.stringify(record)]);
    expect(rows.map((r) => r.key).sort()).toEqual(valueKeys(record).sort());
  });

  it('backfills stored versions as intake writes them (migration 061)', async () => {
    const written = await db.pool.query<{ id: string; since: unknown }>('SELECT id, asserted_since AS since FROM source_record WHERE current ORDER BY id');
    const backfill = readFileSync(`${MIGRATIONS_DIR}/061_asserted_since.sql`, 'utf8').match(/UPDATE source_record c SET asserted_since[\s\S]*?WHERE c\.current;/)![0];
    await db.pool.query('UPDATE source_record SET asserted_since = NULL');
    await db.pool.query(backfill);
    const filled = await db.pool.query<{ id: string; since: unknown }>('SELECT id, asserted_since AS since FROM source_record WHERE current ORDER BY id');
    expect(filled.rows).toEqual(written.rows);
    expect(await currentAddress()).toBe('3 TANNERY YARD, NORTHBY');
  });
});
