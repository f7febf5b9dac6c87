import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../src/auth/clients.js';
import { currentLink } from '../../../src/linkage/accounts.js';
import { loadPrepareTables, openLinkage, type LinkageContext } from '../../../src/linkage/context.js';
import { linkAll } from '../../../src/linkage/batch.js';
import { linkOne } from '../../../src/linkage/link.js';
import { citizenRef } from '../../../src/linkage/reference.js';
import { trainFromDatabase } from '../../../src/linkage/train.js';
import { createLogger } from '../../../src/logging.js';
import { buildApp, type HubApp } from '../../../src/server/app.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { population, sourceRecord, store, type PersonSpec } from './people.js';

describe('person review and manual link routes', () => {
  let db: TestDatabase;
  let app: HubApp;
  let ctx: LinkageContext;
  let steward: string;
  let adviser: string;
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, key: string, payload?: object) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });
  const refOfRecord = async (system: string, ref: string) => {
    const link = await currentLink(db.pool, system, ref);
    return (await db.pool.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [link?.citizenId])).rows[0]!.ref;
  };
  const add = async (...specs: PersonSpec[]) => {
    await store(db.pool, specs.map(sourceRecord));
    for (const s of specs) await linkOne(ctx, s.system, s.ref);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await store(db.pool, population(3, 150));
    const tables = await loadPrepareTables();
    await trainFromDatabase(db.pool, tables, { seed: 5 });
    ctx = await openLinkage(db.pool, { tables });
    await linkAll(ctx);
    app = await buildApp({ config: { bodyLimit: 1024 * 1024, rateLimitPerMinute: 100_000 }, pool: db.pool, logger: createLogger('silent') });
    await app.ready();
    steward = (await createClient(db.pool, { org: 'Data Team', role: 'steward' })).key;
    adviser = (await createClient(db.pool, { org: 'Contact Centre', role: 'adviser' })).key;
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('lists uncertain pairs side by side with per-field weights, and takes a decision once', async () => {
    await add(
      { system: 'housing', ref: 'Q1', forenames: ['DAVID'], surname: 'JONES', lines: ['6 OAK ROW', 'NORTHBY'], postcode: 'ZZ5 5AB' },
      { system: 'revenues', ref: 'Q2', forenames: ['DAVID'], surname: 'JONES', dob: '1971-03-03' },
    );
    expect((await call('GET', '/v1/review/people', adviser)).statusCode).toBe(403);
    const queue = (await call('GET', '/v1/review/people', steward)).json() as { items: { id: number; record: { sourceRef: string; person: { surname: string } }; candidate: { sourceRef: string }; fields: { field: string; weight: number }[]; modelDecision: string; weight: number }[] };
    const item = queue.items.find((i) => i.record.sourceRef === 'Q2' || i.record.sourceRef === 'Q1');
    if (!item) return expect.fail('a review item for the pair');
    // A full page names the next one's `after`; the short page after it names none.
    const first = (await call('GET', '/v1/review/people?limit=1', steward)).json() as { items: { id: number }[]; next?: number };
    expect(first.next).toBe(first.items[0]!.id);
    const rest = (await call('GET', `/v1/review/people?after=${first.next}&limit=500`, steward)).json() as { items: { id: number }[]; next?: number };
    expect(rest.next).toBeUndefined();
    expect([...first.items, ...rest.items].map((i) => i.id)).toEqual(queue.items.map((i) => i.id));
    expect(item.modelDecision).toBe('review');
    expect(item.record.person.surname).toBe('JONES');
    expect(item.fields.find((f) => f.field === 'surname')?.weight).toBeGreaterThan(0);
    expect(item.weight).toBeCloseTo(item.fields.reduce((s, f) => s + f.weight, 0) + Math.log2(ctx.model.prior / (1 - ctx.model.prior)), 3);
    expect((await call('POST', `/v1/review/people/${item.id}`, steward, { decision: 'maybe' })).statusCode).toBe(400);
    const decided = await call('POST', `/v1/review/people/${item.id}`, steward, { decision: 'link', reason: 'same tenancy file' });
    expect(decided.statusCode).toBe(200);
    expect(await refOfRecord('housing', 'Q1')).toBe(await refOfRecord('revenues', 'Q2'));
    expect((await call('POST', `/v1/review/people/${item.id}`, steward, { decision: 'distinct' })).statusCode).toBe(409);
    expect((await call('POST', '/v1/review/people/999999', steward, { decision: 'distinct' })).statusCode).toBe(404);
  });

  it('links and unlinks by hand, refusing a mistyped reference', async () => {
    await add(
      { system: 'housing', ref: 'M1', forenames: ['LILY'], surname: 'PATEL', dob: '1999-09-19', lines: ['3 PINE WAY', 'NORTHBY'], postcode: 'ZZ3 3AA' },
      { system: 'smartcard', ref: 'M2', forenames: ['LILY'], surname: 'PATEL', dob: '1999-09-19', lines: ['3 PINE WAY', 'NORTHBY'], postcode: 'ZZ3 3AA' },
    );
    const ref = await refOfRecord('housing', 'M1');
    expect(await refOfRecord('smartcard', 'M2')).toBe(ref);
    const mistyped = `${ref.slice(0, 10)}${(Number(ref[10]) + 1) % 10}`;
    expect((await call('DELETE', `/v1/citizens/${mistyped}/links/smartcard/M2`, steward)).statusCode).toBe(400);
    expect((await call('DELETE', `/v1/citizens/${ref}/links/smartcard/M2`, adviser)).statusCode).toBe(403);
    const unlinked = await call('DELETE', `/v1/citizens/${ref}/links/smartcard/M2?reason=different+person`, steward);
    expect(unlinked.statusCode).toBe(200);
    const own = unlinked.json().citizenRef as string;
    expect(own).not.toBe(ref);
    expect(await refOfRecord('smartcard', 'M2')).toBe(own);
    expect((await call('DELETE', `/v1/citizens/${ref}/links/smartcard/M2`, steward)).statusCode).toBe(404);
    const relinked = await call('POST', `/v1/citizens/${ref}/links`, steward, { system: 'smartcard', sourceRef: 'M2', reason: 'same person after all' });
    expect(relinked.json()).toEqual({ citizenRef: ref, system: 'smartcard', sourceRef: 'M2' });
    expect((await call('POST', `/v1/citizens/${own}/links`, steward, { system: 'smartcard', sourceRef: 'NOPE' })).statusCode).toBe(404);
    expect((await call('POST', `/v1/citizens/${citizenRef(999_999)}/links`, steward, { system: 'smartcard', sourceRef: 'M2' })).statusCode).toBe(404);
  });
});
