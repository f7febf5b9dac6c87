/**
 * A council's own source system: a mapping file named in MAPPING_FILES
 * (src/intake/systems.ts) takes pushes, withdrawals and rejects listings for
 * its system as a shipped one does; a hub without it knows no such system.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAPPING_FILES } from '../../../adapters/mapping/index.js';
import { councilSystemsOf, mappingFilesOf } from '../../../src/intake/systems.js';
import { createTestHub, type TestHub } from '../../support/app.js';

describe("a council's own source system", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-own-system-'));
  let hub: TestHub;
  let plain: TestHub;
  let library: string;
  let steward: string;
  beforeAll(async () => {
    const file = path.join(dir, 'library.mapping.yaml');
    writeFileSync(file, readFileSync(DEFAULT_MAPPING_FILES.smartcard, 'utf8').replace('system: smartcard', 'system: library').replace(/CARD_NUMBER/g, 'MEMBER_NO'));
    hub = await createTestHub({}, { mappingFiles: await mappingFilesOf([file]) });
    plain = await createTestHub();
    library = await hub.keyFor('source-system', 'Library Service', ['library']);
    steward = await hub.keyFor('steward', 'Data Team');
  });
  afterAll(async () => {
    await hub?.close();
    await plain?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const member = { MEMBER_NO: 'LIB0042', TITLE: 'MS', FIRST_NAME: 'ODETTE', LAST_NAME: 'FAIRWEATHER', DATE_OF_BIRTH: '12/03/1981', ADDRESS: '3 QUILL LANE, NORTHBY', POSTCODE: 'ZZ1 4QL' };
  const push = (on: TestHub, key: string, payload: unknown) => on.app.inject({
    method: 'POST', url: '/v1/sources/library/records', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: JSON.stringify(payload),
  });

  it('takes pushed records in by its mapping, keeps rejects, and withdraws them', async () => {
    const pushed = await push(hub, library, [member, { ...member, MEMBER_NO: '' }]);
    expect(pushed.statusCode, pushed.body).toBe(202);
    const { intakeId } = pushed.json() as { intakeId: number };
    expect(pushed.json()).toMatchObject({ read: 2, accepted: 1, rejected: 1 });
    const { rows } = await hub.db.pool.query<{ record: { names: { surname: string }[]; identifiers: { scheme: string; value: string }[] } }>(
      "SELECT record FROM source_record WHERE system = 'library' AND source_ref = 'LIB0042' AND current");
    expect(rows[0]!.record.names[0]!.surname).toBe('FAIRWEATHER');
    const rejects = await hub.app.inject({ url: `/v1/sources/library/rejects?intake=${intakeId}`, headers: { authorization: `Bearer ${steward}` } });
    expect(rejects.statusCode).toBe(200);
    expect(rejects.json()).toMatchObject({ rejects: [{ field: expect.stringMatching(/MEMBER_NO|sourceRef/) }] });
    const withdrawn = await hub.app.inject({ method: 'DELETE', url: '/v1/sources/library/records/LIB0042', headers: { authorization: `Bearer ${library}` } });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    expect(withdrawn.json()).toMatchObject({ form: 'record', closed: ['LIB0042'] });
  });

  it('takes pushes by its mapping as read at start: a file edited while the hub runs takes effect at its next start', async () => {
    const file = path.join(dir, 'mobile-library.mapping.yaml');
    writeFileSync(file, readFileSync(DEFAULT_MAPPING_FILES.smartcard, 'utf8').replace('system: smartcard', 'system: mobile-library').replace(/CARD_NUMBER/g, 'MEMBER_NO'));
    const { files, mappings } = await councilSystemsOf([file]);
    const running = await createTestHub({}, { mappingFiles: files, mappings });
    try {
      const key = await running.keyFor('source-system', 'Mobile Library', ['mobile-library']);
      // Edited after start, before any push: its member numbers now come from another column.
      writeFileSync(file, readFileSync(file, 'utf8').replace(/MEMBER_NO/g, 'TICKET_NO'));
      const pushed = await running.app.inject({
        method: 'POST', url: '/v1/sources/mobile-library/records', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        payload: JSON.stringify(member),
      });
      expect(pushed.statusCode, pushed.body).toBe(202);
      expect(pushed.json()).toMatchObject({ read: 1, accepted: 1, rejected: 0 });
      const { rows } = await running.db.pool.query("SELECT 1 FROM source_record WHERE system = 'mobile-library' AND source_ref = 'LIB0042' AND current");
      expect(rows).toHaveLength(1);
    } finally {
      await running.close();
    }
  });

  it('is unknown to a hub without its mapping', async () => {
    const key = await plain.keyFor('source-system', 'Library Service', ['library']);
    const response = await push(plain, key, member);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'not-found', detail: expect.stringContaining('library') });
  });
});
