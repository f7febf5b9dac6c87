/**
 * The outbox and delivery rows are working state, not the record (the audit
 * trail is): finished deliveries and published changes older than the
 * retention period are deleted, so the tables do not grow with every change
 * ever made. Pending deliveries are kept however old they are.
 */
import type pg from 'pg';

export const PUBLISH_RETENTION_DAYS = 30;

export async function prunePublished(pool: pg.Pool, keepDays = PUBLISH_RETENTION_DAYS): Promise<{ deliveries: number; changes: number }> {
  const deliveries = await pool.query(
    "DELETE FROM publish_delivery WHERE status <> 'pending' AND created_at < now() - $1 * interval '1 day'", [keepDays]);
  const changes = await pool.query(
    `DELETE FROM citizen_outbox o WHERE o.published_at < now() - $1 * interval '1 day'
        AND NOT EXISTS (SELECT 1 FROM publish_delivery d WHERE d.outbox_id = o.id)`, [keepDays]);
  return { deliveries: deliveries.rowCount ?? 0, changes: changes.rowCount ?? 0 };
}
