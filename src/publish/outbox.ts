/**
 * The outbox: linkage calls these inside the transaction that changes an
 * account, so a change is published exactly when it commits, and a rolled
 * back change leaves nothing behind. Each helper hands its input back, so a
 * call fits in the line that made the change.
 */
import type pg from 'pg';
import type { EventType } from '../../schemas/subscriptions.js';

export interface CitizenChange {
  citizenId: number;
  type: EventType;
  other?: number | null;
}

// The same change of the same account twice in one transaction is one row (the unique index on tx);
// an update to an account created in the same transaction adds nothing to its creation.
const RECORD = `
  INSERT INTO citizen_outbox (citizen_id, event_type, other_citizen)
  SELECT c.citizen_id, c.event_type, c.other FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS c(citizen_id, event_type, other)
   WHERE c.event_type <> 'citizen.updated' OR NOT EXISTS (
         SELECT 1 FROM citizen_outbox o WHERE o.tx = pg_current_xact_id() AND o.citizen_id = c.citizen_id AND o.event_type = 'citizen.created')
  ON CONFLICT DO NOTHING`;

/** Records changes of accounts in the caller's transaction, in one statement (a batch of linking writes them together). */
export async function citizensChanged(db: pg.PoolClient, changes: readonly CitizenChange[]): Promise<void> {
  // The statement cannot see its own rows: an update of an account it creates is left out here.
  const created = new Set(changes.filter((c) => c.type === 'citizen.created').map((c) => c.citizenId));
  const rows = changes.filter((c) => c.type !== 'citizen.updated' || !created.has(c.citizenId));
  if (rows.length === 0) return;
  await db.query({ name: 'outbox-record', text: RECORD, values: [rows.map((c) => c.citizenId), rows.map((c) => c.type), rows.map((c) => c.other ?? null)] });
}

/** Records a change of an account in the caller's transaction; returns the account id. */
export async function citizenChanged(db: pg.PoolClient, citizenId: number, type: EventType, other: number | null = null): Promise<number> {
  await citizensChanged(db, [{ citizenId, type, other }]);
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
