import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, verifyAudit } from '../../../src/audit/store.js';
import { loadConfig } from '../../../src/config.js';
import { startHub } from '../../../src/hub.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

describe('a hub running workers only', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('seals the audit entries its jobs write (event.publish), with no API process running', async () => {
    const hub = await startHub(loadConfig({ DATABASE_URL: db.url, DATABASE_APP_URL: db.appUrl, PORT: '0', LOG_LEVEL: 'silent', HUB_DEMO: 'false' }), { api: false, workers: true });
    try {
      const [written] = await appendAudit(db.pool, [{
        at: '2026-06-15T10:00:00.000Z', requestId: 'worker-1', action: 'event.publish', clientId: 1, orgId: 1, role: 'partner',
        purpose: 'direct-service-delivery', citizenRef: 'C0000001X', agreements: [], consentIds: [], categoriesDisclosed: [], categoriesDenied: [],
        fieldsDisclosed: [], decision: 'deny', reasons: {}, policyVersion: '1', breakGlassReason: null, reviewRequired: false,
      }]);
      const sealed = async () => (await db.pool.query('SELECT 1 FROM audit_seal WHERE audit_seq = $1', [written!.seq])).rowCount === 1;
      const deadline = Date.now() + 10_000;
      while (!(await sealed()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await sealed()).toBe(true);
    } finally {
      await hub.stop();
    }
    expect(await verifyAudit(db.pool)).toMatchObject({ ok: true, count: 1, pending: 0 });
  }, 60_000);
});
