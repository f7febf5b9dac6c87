import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorMessage } from '../../../src/logging.js';
import { createRegisterHub, person, type RegisterHub } from '../citizens/support.js';

describe('no personal data in the log from database errors', () => {
  let hub: RegisterHub;
  let adviser: string;
  let dpo: string;
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });

  beforeAll(async () => {
    hub = await createRegisterHub();
    hub.source.add(person('C1', 'ALPHA'));
    adviser = (await hub.key('adviser', 'Contact Centre')).key;
    dpo = (await hub.key('dpo', 'Information Governance')).key;
  });
  afterAll(async () => hub.close());

  it('logs the failed statement without PostgreSQL\'s detail, which quotes the failing row', async () => {
    await hub.db.pool.query('ALTER TABLE audit_log ADD CONSTRAINT test_refuse_all CHECK (seq < 0) NOT VALID');
    try {
      const read = await hub.app.inject({
        url: '/v1/citizens/C1',
        headers: { ...auth(adviser), 'x-purpose': 'emergency', 'x-break-glass-reason': 'police called about Mrs Jane Zebedee on 07700 900123' },
      });
      expect(read.statusCode).toBe(500);
      const restriction = await hub.app.inject({
        method: 'POST', url: '/v1/citizens/C1/restrictions', headers: auth(dpo),
        payload: { from: '2026-06-01T00:00:00Z', to: null, reason: 'Ms Jane Zebedee disputes her date of birth' },
      });
      expect(restriction.statusCode).toBe(500);
    } finally {
      await hub.db.pool.query('ALTER TABLE audit_log DROP CONSTRAINT test_refuse_all');
    }
    const failures = hub.logLines.filter((l) => l.includes('request failed'));
    expect(failures).toHaveLength(2);
    for (const line of failures) {
      expect(line).toMatch(/test_refuse_all/);
      expect(line).not.toMatch(/Zebedee|07700|Failing row/);
    }
  });

  it('logs a data exception and a failed COPY without the value they quote', async () => {
    const failed = async (run: () => Promise<unknown>) => run().then(() => expect.fail('the statement should fail'), (err: unknown) => err);
    const cast = await failed(() => hub.db.pool.query('SELECT $1::date', ['1960-13-45']));
    const client = await hub.db.pool.connect();
    let copy: unknown;
    try {
      await client.query('CREATE TEMP TABLE person_in (name text, dob date)');
      copy = await failed(() => pipeline(Readable.from(['Jane Zebedee\t1961-14-46\n']), client.query(copyFrom('COPY person_in FROM STDIN'))));
    } finally {
      client.release();
    }
    const before = hub.logLines.length;
    hub.app.log.error({ err: cast }, 'cast failed');
    hub.app.log.error({ err: copy }, 'copy failed');
    const lines = hub.logLines.slice(before);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatch(/"code":"22008"/);
      expect(line).not.toMatch(/1960-13-45|1961-14-46|Zebedee/);
    }
    // As an intake's stored error and a command's last line give it.
    expect(errorMessage(cast)).toMatch(/^date\/time field value out of range: \[redacted\]/);
  });
});
