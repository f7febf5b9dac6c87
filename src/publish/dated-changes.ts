/**
 * Changes that come with the calendar: an entitlement comes into force on its
 * `from` and ends once its last day `to` has passed, an involvement closes
 * after its `to`, with no record changing (src/linkage/entitlements.ts reads
 * them as of the day). So that a subscriber's copy of a view does not go on
 * showing an award that has ended, each such day announces the citizens
 * concerned as `citizen.updated`, once: the days already announced are kept.
 */
import type pg from 'pg';
import { transaction } from '../db/transaction.js';
import { citizensChanged } from './outbox.js';

/** The first run only marks the day: views read before it were already as of theirs. */
const FIRST = `INSERT INTO dated_changes (through) VALUES ($1) ON CONFLICT (id) DO NOTHING RETURNING through`;
const LAST = `SELECT to_char(through, 'YYYY-MM-DD') AS through FROM dated_changes FOR UPDATE`;
const MARK = `UPDATE dated_changes SET through = $1`;

/**
 * Active citizens with a current, open record holding an entitlement that came into force after day $1 and by day $2,
 * or an entitlement or involvement whose last day was from $1 to the day before $2 (ISO dates compare as text).
 */
const CONCERNED = `
  SELECT DISTINCT l.citizen_id AS id FROM source_record s
    JOIN citizen_link l ON l.system = s.system AND l.source_ref = s.source_ref AND l.ended_at IS NULL
    JOIN citizen c ON c.id = l.citizen_id AND c.status = 'active'
   WHERE s.current AND NOT s.closed
     AND (EXISTS (SELECT 1 FROM jsonb_array_elements(s.record->'entitlements') e
                   WHERE (e->>'from' > $1 AND e->>'from' <= $2) OR (e->>'to' >= $1 AND e->>'to' < $2))
          OR EXISTS (SELECT 1 FROM jsonb_array_elements(s.record->'involvements') i WHERE i->>'to' >= $1 AND i->>'to' < $2))
   ORDER BY l.citizen_id`;

/** Announces the citizens whose views changed with the days after the last announced, through `today` (London); returns how many. */
export function announceDatedChanges(pool: pg.Pool, today: string): Promise<number> {
  return transaction(pool, async (db) => {
    if ((await db.query(FIRST, [today])).rowCount) return 0;
    const last = (await db.query<{ through: string }>(LAST)).rows[0]!.through;
    if (last >= today) return 0;
    const ids = (await db.query<{ id: string }>(CONCERNED, [last, today])).rows.map((r) => Number(r.id));
    await citizensChanged(db, ids.map((citizenId) => ({ citizenId, type: 'citizen.updated' as const })));
    await db.query(MARK, [today]);
    return ids.length;
  });
}
