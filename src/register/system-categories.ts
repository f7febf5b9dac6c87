/**
 * The council's own systems' data categories as the hub puts them in force
 * (MAPPING_FILES), kept in system_category: a hub that starts with a system
 * added, dropped or given another category records each change in the audit
 * trail, as a register change of the hub's own (HUB_ACTOR). A system dropped
 * from the configuration is service involvement from then on, which may show
 * its records to more callers: the DPO sees that too.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { SystemCategory } from '../../schemas/categories.js';
import { withAudit, type StoredEntry } from '../audit/store.js';
import { HUB_ACTOR, registerChangeEntry } from './change-entry.js';

export interface CategoryChange {
  system: string;
  /** null: the system was not configured before (service involvement). */
  from: string | null;
  /** null: it is no longer configured (service involvement from now on). */
  to: string | null;
}

const HELD = 'SELECT system, category FROM system_category ORDER BY system';
const SET = `INSERT INTO system_category (system, category, since) VALUES ($1, $2, $3)
  ON CONFLICT (system) DO UPDATE SET category = EXCLUDED.category, since = EXCLUDED.since`;
const DROP = 'DELETE FROM system_category WHERE system = $1';

/**
 * Stores the categories in force and audits every change since the last
 * start; answers the changes. Two processes starting together take turns
 * (the table's lock), so a change is recorded once.
 */
export async function recordSystemCategories(pool: pg.Pool, categories: Readonly<Record<string, SystemCategory>>, at: Date): Promise<CategoryChange[]> {
  return withAudit(pool, async (db) => {
    await db.query('LOCK TABLE system_category IN SHARE ROW EXCLUSIVE MODE');
    const held = new Map((await db.query<{ system: string; category: string }>(HELD)).rows.map((r) => [r.system, r.category]));
    const changes: CategoryChange[] = [];
    for (const system of [...new Set([...held.keys(), ...Object.keys(categories)])].sort()) {
      const from = held.get(system) ?? null;
      const to = Object.hasOwn(categories, system) ? categories[system]! : null;
      if (from === to) continue;
      changes.push({ system, from, to });
      await (to === null ? db.query(DROP, [system]) : db.query(SET, [system, to, at]));
    }
    const requestId = `hub-${randomUUID()}`;
    // Spelt out for the DPO: a system not configured is service involvement.
    const state = (system: string, category: string | null) => ({ system, category: category ?? 'service-involvement', configured: category !== null });
    const entries: StoredEntry[] = changes.map((c) => registerChangeEntry(HUB_ACTOR, requestId, at, {
      action: 'system.category', before: state(c.system, c.from), after: state(c.system, c.to),
    }));
    return { result: changes, entries };
  });
}
