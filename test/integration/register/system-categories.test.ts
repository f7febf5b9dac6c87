/**
 * The council's own systems' categories as each start of the hub puts them
 * in force: every change since the last start (added, recategorised,
 * dropped) is one audit entry of the hub's own, and an unchanged start
 * records nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAPPING_FILES } from '../../../adapters/mapping/index.js';
import { useSystemCategories } from '../../../schemas/categories.js';
import { verifyAudit } from '../../../src/audit/store.js';
import { recordSystemCategories } from '../../../src/register/system-categories.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

describe("the council's own systems' categories, start by start", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db?.drop());

  const entries = async () => (await db.pool.query<{ client_id: string | number; org_id: string | number; purpose: string; detail: unknown }>(
    "SELECT client_id, org_id, purpose, detail FROM audit_log WHERE action = 'system.category' ORDER BY seq")).rows;
  const held = async () => (await db.pool.query('SELECT system, category FROM system_category ORDER BY system')).rows;
  const state = (system: string, category: string, configured = true) => ({ system, category, configured });

  it('records each change once, as the hub, and what a dropped system becomes', async () => {
    const start = (categories: Record<string, 'health-disability' | 'service-involvement' | 'safeguarding'>) =>
      recordSystemCategories(db.appPool, categories, new Date('2026-12-04T16:00:00Z'));

    expect(await start({ 'stop-smoking': 'health-disability' })).toEqual([{ system: 'stop-smoking', from: null, to: 'health-disability' }]);
    expect(await start({ 'stop-smoking': 'health-disability' })).toEqual([]);
    expect(await held()).toEqual([{ system: 'stop-smoking', category: 'health-disability' }]);

    expect(await start({ 'stop-smoking': 'service-involvement', library: 'service-involvement' })).toEqual([
      { system: 'library', from: null, to: 'service-involvement' },
      { system: 'stop-smoking', from: 'health-disability', to: 'service-involvement' },
    ]);
    expect(await start({})).toEqual([
      { system: 'library', from: 'service-involvement', to: null },
      { system: 'stop-smoking', from: 'service-involvement', to: null },
    ]);
    expect(await held()).toEqual([]);

    const recorded = await entries();
    expect(recorded).toHaveLength(5);
    expect(new Set(recorded.map((e) => `${Number(e.client_id)} ${Number(e.org_id)} ${e.purpose}`))).toEqual(new Set(['0 0 register-maintenance']));
    expect(recorded.map((e) => e.detail)).toEqual([
      { before: state('stop-smoking', 'service-involvement', false), after: state('stop-smoking', 'health-disability') },
      { before: state('library', 'service-involvement', false), after: state('library', 'service-involvement') },
      { before: state('stop-smoking', 'health-disability'), after: state('stop-smoking', 'service-involvement') },
      { before: state('library', 'service-involvement'), after: state('library', 'service-involvement', false) },
      { before: state('stop-smoking', 'service-involvement'), after: state('stop-smoking', 'service-involvement', false) },
    ]);
    expect(await verifyAudit(db.pool)).toMatchObject({ ok: true, count: 5 });
  });

  it('records a change once when two processes start together', async () => {
    const both = await Promise.all([1, 2].map(() => recordSystemCategories(db.appPool, { safety: 'safeguarding' }, new Date())));
    expect(both.map((changes) => changes.length).sort()).toEqual([0, 1]);
    expect((await entries()).filter((e) => JSON.stringify(e.detail).includes('"safety"'))).toHaveLength(1);
  });
});

describe('GET /v1/register/systems', () => {
  let hub: TestHub;
  beforeAll(async () => {
    // The clinic's mapping file is not read by the route: any path stands for it.
    hub = await createTestHub({}, { mappingFiles: { ...DEFAULT_MAPPING_FILES, 'stop-smoking': '/etc/hub/clinic.mapping.yaml', library: '/etc/hub/library.mapping.yaml' } });
    useSystemCategories({ 'stop-smoking': 'health-disability', library: 'service-involvement' });
    await recordSystemCategories(hub.db.appPool, { 'stop-smoking': 'health-disability', library: 'service-involvement' }, new Date('2026-12-04T16:00:00Z'));
  });
  afterAll(async () => {
    useSystemCategories({});
    await hub?.close();
  });

  it("lists every system with the category the policy engine decides on, the council's own with since when", async () => {
    const response = await hub.app.inject({ url: '/v1/register/systems', headers: { authorization: `Bearer ${await hub.keyFor('dpo', 'Northby Council Information Governance')}` } });
    expect(response.statusCode, response.body).toBe(200);
    const since = '2026-12-04T16:00:00.000Z';
    expect(response.json()).toEqual({
      systems: [
        { system: 'housing', category: 'housing', shipped: true, since: null },
        { system: 'library', category: 'service-involvement', shipped: false, since },
        { system: 'revenues', category: 'revenues', shipped: true, since: null },
        { system: 'smartcard', category: 'concessions', shipped: true, since: null },
        { system: 'social-care', category: 'social-care', shipped: true, since: null },
        { system: 'stop-smoking', category: 'health-disability', shipped: false, since },
      ],
    });
  });
});
