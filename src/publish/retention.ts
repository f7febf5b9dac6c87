/**
 * The outbox and delivery rows are working state, not the record (the audit
 * trail is): finished deliveries and published changes older than the
 * retention period, counted from a delivery's last attempt, are deleted, so
 * the tables do not grow with every change ever made. A pending delivery is
 * kept while its queue job lives; one whose job is gone (its worker killed
 * during the last attempt, say) would keep its body, personal data, for
 * ever: it becomes a dead letter, body dropped, that `hub pipeline
 * redeliver` decides and sends afresh.
 */
import type pg from 'pg';
import { DELIVER_QUEUE } from './fanout.js';

export const PUBLISH_RETENTION_DAYS = 30;
/** How long a pending delivery may be without a live job before it counts as lost (its job is sent in the same transaction). */
const LOST_AFTER_HOURS = 24;

const PRUNE_DELIVERIES = `
  DELETE FROM publish_delivery WHERE status <> 'pending' AND coalesce(last_attempt_at, created_at) < now() - $1 * interval '1 day'`;
const PRUNE_CHANGES = `
  DELETE FROM citizen_outbox o WHERE o.published_at < now() - $1 * interval '1 day'
     AND NOT EXISTS (SELECT 1 FROM publish_delivery d WHERE d.outbox_id = o.id)`;
// pg-boss's own table (schema pgboss, src/pipeline/queue.ts): a job waiting, retrying or running is live.
const LOST = `
  UPDATE publish_delivery d SET status = 'dead', body = NULL, last_attempt_at = now(),
         last_error = 'its delivery job was lost before it finished; send it again with hub pipeline redeliver'
   WHERE d.status = 'pending' AND d.created_at < now() - $2 * interval '1 hour'
     AND NOT EXISTS (SELECT 1 FROM pgboss.job j WHERE j.name = $1 AND j.state IN ('created', 'retry', 'active') AND j.data->>'deliveryId' = d.id::text)`;

export async function prunePublished(pool: pg.Pool, keepDays = PUBLISH_RETENTION_DAYS): Promise<{ deliveries: number; changes: number; lost: number }> {
  const deliveries = await pool.query(PRUNE_DELIVERIES, [keepDays]);
  const changes = await pool.query(PRUNE_CHANGES, [keepDays]);
  // Without the queue's tables no delivery was ever queued, so none can have lost its job.
  const queued = (await pool.query<{ t: string | null }>(`SELECT to_regclass('pgboss.job')::text AS t`)).rows[0]?.t;
  const lost = queued ? (await pool.query(LOST, [DELIVER_QUEUE, LOST_AFTER_HOURS])).rowCount ?? 0 : 0;
  return { deliveries: deliveries.rowCount ?? 0, changes: changes.rowCount ?? 0, lost };
}
