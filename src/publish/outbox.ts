/**
 * The outbox: linkage calls these inside the transaction that changes an
 * account, so a change is published exactly when it commits, and a rolled
 * back change leaves nothing behind. Each helper hands its input back, so a
 * call fits in the line that made the change.
 */
import type pg from 'pg';
import type { EventType } from '../../schemas/subscriptions.js';

// The same change of the same account twice in one transaction is one row (the unique index on tx);
// an update to an account created in the same transaction adds nothing to its creation.
const RECORD = `
  INSERT INTO citizen_outbox (citizen_id, event_type, other_citizen)
  SELECT $1, $2, $3
   WHERE $2 <> 'citizen.updated' OR NOT EXISTS (
         SELECT 1 FROM citizen_outbox WHERE tx = pg_current_xact_id() AND citizen_id = $1 AND event_type = 'citizen.created')
  ON CONFLICT DO NOTHING`;

/** Records a change of an account in the caller's transaction; returns the account id. */
export async function citizenChanged(db: pg.PoolClient, citizenId: number, type: EventType, other: number | null = null): Promise<number> {
  await db.query({ name: 'outbox-record', text: RECORD, values: [citizenId, type, other] });
  return citizenId;
}

/**
 * After a record was linked: when its content changed, the account's golden
 * record did too, even if the record stayed where it was. Re-linking an
 * unchanged record (after re-training) records nothing beyond the account
 * changes it makes itself.
 */
export async function recordLinked<T extends { citizenId: number | null }>(db: pg.PoolClient, contentChanged: boolean, outcome: T): Promise<T> {
  if (contentChanged && outcome.citizenId !== null) await citizenChanged(db, outcome.citizenId, 'citizen.updated');
  return outcome;
}
