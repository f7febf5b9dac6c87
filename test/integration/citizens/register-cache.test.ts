import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegisterHub, person, type RegisterHub } from './support.js';

/**
 * A read decided from the agreements the hub cached (src/register/input-cache.ts)
 * must see every register change committed before it, however the change was
 * made: through the routes or straight in the database.
 */
describe('citizen reads decided from cached agreements', () => {
  let hub: RegisterHub;
  let dpo: string;
  let adviser: { key: string; clientId: number; orgId: number };

  const read = (ref: string) =>
    hub.app.inject({ method: 'GET', url: `/v1/citizens/${ref}`, headers: { authorization: `Bearer ${adviser.key}`, 'x-purpose': 'contact-centre-enquiry' } });
  const entries = async () => Number((await hub.db.pool.query('SELECT count(*) AS n FROM audit_log')).rows[0].n);
  const version = async () => Number((await hub.db.pool.query('SELECT agreements FROM register_version')).rows[0].agreements);

  beforeAll(async () => {
    hub = await createRegisterHub();
    hub.source.add(person('C1', 'ALPHA')).add(person('C2', 'BRAVO', { uprn: 100000002 })).add(person('C3', 'CHARLIE', { uprn: 100000003 }));
    dpo = (await hub.key('dpo', 'Northby Council Information Governance')).key;
    adviser = await hub.key('adviser', 'Northby Council Contact Centre');
    const created = await hub.app.inject({
      method: 'POST', url: '/v1/register/agreements', headers: { authorization: `Bearer ${dpo}` },
      payload: {
        id: 'ISA-C', title: 'Contact centre', parties: { provider: { orgId: adviser.orgId }, recipients: [adviser.orgId] }, roles: null,
        purposes: ['contact-centre-enquiry'], categories: ['identity', 'address'], lawfulBasis: 'public-task', art9Condition: null,
        legalGateway: 'Local Government Act 1972 s.111', dpiaReference: null, startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'active',
      },
    });
    expect(created.statusCode).toBe(201);
  });
  afterAll(async () => hub.close());

  it('bumps the agreements version in the transaction of every statement that changes an agreement', async () => {
    const before = await version();
    await hub.db.pool.query("UPDATE sharing_agreement SET title = title WHERE id = 'ISA-C' AND current");
    expect(await version()).toBe(before + 1);
    await hub.db.pool.query('BEGIN');
    await hub.db.pool.query("UPDATE sharing_agreement SET title = 'x' WHERE id = 'none'");
    await hub.db.pool.query('ROLLBACK');
    expect(await version()).toBe(before + 1);
  });

  it('sees an agreement suspended in the database, not through the routes, on the next read', async () => {
    expect((await read('C1')).statusCode).toBe(200);
    expect((await read('C2')).statusCode).toBe(200);
    await hub.db.pool.query("UPDATE sharing_agreement SET status = 'suspended' WHERE id = 'ISA-C' AND current");
    const written = await entries();
    expect((await read('C1')).statusCode).toBe(404);
    // One entry, the denial: the read decided from the cache inserted nothing.
    expect(await entries()).toBe(written + 1);
    const { rows } = await hub.db.pool.query("SELECT decision FROM audit_log ORDER BY seq DESC LIMIT 1");
    expect(rows[0].decision).toBe('deny');
    await hub.db.pool.query("UPDATE sharing_agreement SET status = 'active' WHERE id = 'ISA-C' AND current");
    expect((await read('C1')).statusCode).toBe(200);
  });

  it('sees a restriction and an objection recorded in the database on the next read of that citizen', async () => {
    expect((await read('C2')).statusCode).toBe(200);
    await hub.db.pool.query("INSERT INTO restriction (citizen_ref, valid_from, reason) VALUES ('C2', '2026-01-01', 'accuracy contested')");
    const written = await entries();
    expect((await read('C2')).statusCode).toBe(404);
    expect(await entries()).toBe(written + 1);
    expect((await read('C3')).statusCode).toBe(200);
    await hub.db.pool.query("INSERT INTO objection (citizen_ref, purpose, valid_from) VALUES ('C3', NULL, '2026-01-01')");
    expect((await read('C3')).statusCode).toBe(404);
    // Other citizens are still read from the cache, and disclosed.
    expect((await read('C1')).statusCode).toBe(200);
  });

  it('counts a restriction of a reference merged into the citizen', async () => {
    hub.source.add(person('C4', 'DELTA', { uprn: 100000004 }));
    hub.source.merged.set('C5', 'C4');
    expect((await read('C4')).statusCode).toBe(200);
    await hub.db.pool.query("INSERT INTO restriction (citizen_ref, valid_from, reason) VALUES ('C5', '2026-01-01', 'accuracy contested')");
    expect((await read('C4')).statusCode).toBe(404);
  });

  it('falls back to the register, every read, when the version row is gone', async () => {
    expect((await read('C1')).statusCode).toBe(200);
    await hub.db.pool.query('DELETE FROM register_version');
    try {
      expect((await read('C1')).statusCode).toBe(200);
      await hub.db.pool.query("UPDATE sharing_agreement SET status = 'ended' WHERE id = 'ISA-C' AND current");
      expect((await read('C1')).statusCode).toBe(404);
    } finally {
      await hub.db.pool.query("UPDATE sharing_agreement SET status = 'active' WHERE id = 'ISA-C' AND current");
      await hub.db.pool.query('INSERT INTO register_version (agreements) VALUES (1000)');
    }
    expect((await read('C1')).statusCode).toBe(200);
  });
});
