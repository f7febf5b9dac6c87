/** What the pipeline's queues hold, per step and state, dead letters included (`hub pipeline status`). */
import type pg from 'pg';

export interface QueueState {
  queue: string;
  state: string;
  jobs: number;
}

export interface SubscriptionDeliveries {
  subscriptionId: number;
  orgName: string;
  active: boolean;
  pending: number;
  delivered: number;
  dead: number;
  /** The most recent failure, for the operator to act on. */
  lastError: string | null;
}

export interface PublishingStatus {
  /** Changes recorded and not yet turned into deliveries. */
  pendingChanges: number;
  /** Of those, changes whose publishing failed on its own, waiting to be tried again; with the last error (a class, no person). */
  setAsideChanges: number;
  lastSetAsideError: string | null;
  subscriptions: SubscriptionDeliveries[];
}

const STATES = `
  SELECT name AS queue, state::text AS state, count(*)::int AS jobs
    FROM pgboss.job WHERE name LIKE 'pipeline.%' GROUP BY name, state ORDER BY name, state`;
const LAST_ERRORS = `
  SELECT name AS queue, output->>'message' AS message, count(*)::int AS jobs
    FROM pgboss.job WHERE name LIKE 'pipeline.%' AND state = 'failed' GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 10`;
const PENDING_CHANGES = `
  SELECT count(*)::int AS n, count(*) FILTER (WHERE retry_after IS NOT NULL)::int AS "setAside",
         (SELECT last_error FROM citizen_outbox WHERE published_at IS NULL AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1) AS "lastError"
    FROM citizen_outbox WHERE published_at IS NULL`;
const DELIVERIES = `
  SELECT s.id AS "subscriptionId", g.name AS "orgName", s.active,
         count(d.id) FILTER (WHERE d.status = 'pending')::int AS pending,
         count(d.id) FILTER (WHERE d.status = 'delivered')::int AS delivered,
         count(d.id) FILTER (WHERE d.status = 'dead')::int AS dead,
         (SELECT e.last_error FROM publish_delivery e WHERE e.subscription_id = s.id AND e.last_error IS NOT NULL
           ORDER BY e.last_attempt_at DESC LIMIT 1) AS "lastError"
    FROM publish_subscription s JOIN organisation g ON g.id = s.org_id LEFT JOIN publish_delivery d ON d.subscription_id = s.id
   GROUP BY s.id, g.name ORDER BY s.id`;

export async function pipelineStatus(pool: pg.Pool): Promise<{ states: QueueState[]; failures: { queue: string; message: string | null; jobs: number }[] }> {
  const exists = (await pool.query<{ t: string | null }>(`SELECT to_regclass('pgboss.job')::text AS t`)).rows[0]?.t;
  if (!exists) return { states: [], failures: [] };
  const [states, failures] = await Promise.all([pool.query<QueueState>(STATES), pool.query<{ queue: string; message: string | null; jobs: number }>(LAST_ERRORS)]);
  return { states: states.rows, failures: failures.rows };
}

/** The outbox and each subscription's deliveries; empty before the publishing migration has run. */
export async function publishingStatus(pool: pg.Pool): Promise<PublishingStatus> {
  const exists = (await pool.query<{ t: string | null }>(`SELECT to_regclass('publish_delivery')::text AS t`)).rows[0]?.t;
  if (!exists) return { pendingChanges: 0, setAsideChanges: 0, lastSetAsideError: null, subscriptions: [] };
  const [pending, deliveries] = await Promise.all([
    pool.query<{ n: number; setAside: number; lastError: string | null }>(PENDING_CHANGES), pool.query<SubscriptionDeliveries>(DELIVERIES),
  ]);
  const { n, setAside, lastError } = pending.rows[0]!;
  return {
    pendingChanges: n, setAsideChanges: setAside, lastSetAsideError: lastError,
    subscriptions: deliveries.rows.map((r) => ({ ...r, subscriptionId: Number(r.subscriptionId) })),
  };
}
