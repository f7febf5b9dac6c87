import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../src/audit/chain.js';
import { appendAudit, appendAuditGrouped, disclosures, verifyAudit, withAudit } from '../../../src/audit/store.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const entry = (over: Partial<AuditEntry> = {}): AuditEntry => ({
  at: '2026-06-15T10:00:00.000Z',
  requestId: 'req-1',
  action: 'citizen.read',
  clientId: 1,
  orgId: 1,
  role: 'adviser',
  purpose: 'contact-centre-enquiry',
  citizenRef: 'C0000001X',
  agreements: [{ id: 'ISA-1', version: 1 }],
  consentIds: [],
  categoriesDisclosed: ['identity', 'contact'],
  categoriesDenied: ['revenues'],
  fieldsDisclosed: ['identity.name.given'],
  decision: 'partial',
  reasons: { revenues: 'no sharing agreement in force permits revenues' },
  policyVersion: '1.0.0',
  breakGlassReason: null,
  reviewRequired: false,
  ...over,
});

describe('audit store', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db.drop());

  const append = (e: AuditEntry) => withAudit(db.pool, async () => ({ result: null, entries: [e] }));

  it('appends entries that verify, and reads them back by filter', async () => {
    await append(entry());
    await append(entry({ citizenRef: 'C0000002Y', orgId: 2, purpose: 'safeguarding', decision: 'deny' }));
    expect(await verifyAudit(db.pool)).toEqual({ ok: true, count: 2 });
    const found = await disclosures(db.pool, { citizen: 'C0000002Y' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ seq: 2, orgId: 2, purpose: 'safeguarding', decision: 'deny' });
    expect(await disclosures(db.pool, { org: 1, purpose: 'contact-centre-enquiry' })).toHaveLength(1);
  });

  it('refuses UPDATE, DELETE and TRUNCATE even from the owner', async () => {
    await expect(db.pool.query("UPDATE audit_log SET purpose = 'x' WHERE seq = 1")).rejects.toThrow(/append-only/);
    await expect(db.pool.query('DELETE FROM audit_log WHERE seq = 1')).rejects.toThrow(/append-only/);
    await expect(db.pool.query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log');
    expect(rows[0]!.n).toBe(2);
  });

  it('refuses an insert that does not extend the chain head', async () => {
    const client = await db.pool.connect();
    try {
      await expect(client.query(
        `INSERT INTO audit_log (seq, prev_hash, hash, at, request_id, action, client_id, org_id, role, purpose, agreements, consent_ids,
           categories_disclosed, categories_denied, fields_disclosed, decision, reasons, policy_version, review_required)
         VALUES (2, repeat('0', 64), 'forged', now(), 'r', 'a', 1, 1, 'adviser', 'p', '[]', '[]', '[]', '[]', '[]', 'deny', '{}', '1', false)`,
      )).rejects.toThrow(/does not extend the chain head/);
    } finally {
      client.release();
    }
  });

  it('keeps one unbroken chain under concurrent writers', async () => {
    await Promise.all(Array.from({ length: 30 }, (_, i) => append(entry({ requestId: `par-${i}` }))));
    expect(await verifyAudit(db.pool)).toEqual({ ok: true, count: 32 });
    const { rows } = await db.pool.query<{ n: number; max: number }>('SELECT count(DISTINCT prev_hash)::int AS n, max(seq)::int AS max FROM audit_log');
    expect(rows[0]).toEqual({ n: 32, max: 32 });
  });

  it('writes nothing when the surrounding transaction fails', async () => {
    await expect(withAudit(db.pool, async (client) => {
      await appendAudit(client, entry({ requestId: 'rolled-back' }));
      throw new Error('response could not be built');
    })).rejects.toThrow(/could not be built/);
    expect(await disclosures(db.pool, { citizen: 'C0000001X', action: 'citizen.read', after: 0 })).not.toContainEqual(
      expect.objectContaining({ requestId: 'rolled-back' }),
    );
    expect(await verifyAudit(db.pool)).toMatchObject({ ok: true });
  });

  it('finds an entry edited by a superuser with the trigger disabled, by seq', async () => {
    const su = new pg.Client({ connectionString: db.url });
    await su.connect();
    try {
      await su.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update');
      await su.query("UPDATE audit_log SET purpose = 'fraud-prevention' WHERE seq = 7");
      await su.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update');
    } finally {
      await su.end();
    }
    const result = await verifyAudit(db.pool);
    expect(result).toMatchObject({ ok: false, firstBrokenSeq: 7 });
  });

  it('finds entries deleted at the end against the chain head', async () => {
    const fresh = await createTestDatabase();
    try {
      for (let i = 0; i < 3; i += 1) await withAudit(fresh.pool, async () => ({ result: null, entries: [entry({ requestId: `t-${i}` })] }));
      await fresh.pool.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_delete');
      await fresh.pool.query('DELETE FROM audit_log WHERE seq = 3');
      await fresh.pool.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_delete');
      expect(await verifyAudit(fresh.pool)).toMatchObject({ ok: false, firstBrokenSeq: 3 });
    } finally {
      await fresh.drop();
    }
  });
});

describe('audit group writer', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db.drop());

  it('commits concurrent requests in shared statements, each request contiguous and in order, as one chain that verifies', async () => {
    const requests = Array.from({ length: 40 }, (_, i) => (i % 3 === 0
      ? [entry({ requestId: `g-${i}-a`, citizenRef: 'C0000003Z' }), entry({ requestId: `g-${i}-b`, purpose: 'safeguarding', reasons: { 'health-disability': 'né à Zürich' } })]
      : [{ ...entry({ requestId: `g-${i}-a` }), detail: { changed: ['status'], note: 'déjà' } }]));
    // A transactional writer at the same time: both take the same head lock.
    const [written] = await Promise.all([
      Promise.all(requests.map((entries) => appendAuditGrouped(db.pool, entries))),
      withAudit(db.pool, async () => ({ result: null, entries: [entry({ requestId: 'tx' })] })),
    ]);
    const total = requests.flat().length + 1;
    expect(await verifyAudit(db.pool)).toEqual({ ok: true, count: total });
    for (const [i, chained] of written.entries()) {
      expect(chained.map((c) => c.requestId)).toEqual(requests[i]!.map((e) => e.requestId));
      if (chained.length === 2) expect(chained[1]!.seq).toBe(chained[0]!.seq + 1);
    }
    const stored = await disclosures(db.pool, { limit: 1000 });
    expect(stored.filter((e) => e.requestId.startsWith('g-')).map((e) => e.hash).sort()).toEqual(written.flat().map((c) => c.hash).sort());
    // Rows of one transaction share its xmin: fewer transactions than requests means requests were grouped.
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(DISTINCT xmin::text)::int AS n FROM audit_log');
    expect(rows[0]!.n).toBeLessThan(requests.length);
  });

  it('fails only the request whose entry the database refuses; the others commit', async () => {
    const before = (await verifyAudit(db.pool)) as { count: number };
    const results = await Promise.allSettled([
      appendAuditGrouped(db.pool, [entry({ requestId: 'ok-1' })]),
      appendAuditGrouped(db.pool, [entry({ requestId: 'bad', clientId: 1e20 })]),
      appendAuditGrouped(db.pool, [entry({ requestId: 'ok-2' })]),
      appendAuditGrouped(db.pool, [entry({ requestId: 'ok-3' })]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(await verifyAudit(db.pool)).toEqual({ ok: true, count: before.count + 3 });
    expect(await disclosures(db.pool, { after: 0, limit: 1000 })).not.toContainEqual(expect.objectContaining({ requestId: 'bad' }));
  });
});
