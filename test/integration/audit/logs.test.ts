import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegisterHub, person, type RegisterHub } from '../citizens/support.js';

describe('no personal data in the log when an audit write fails', () => {
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
});
