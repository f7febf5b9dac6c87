/** Webhook subscriptions in the database; the routes add roles, validation and audit. */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Role } from '../../schemas/roles.js';
import type { Subscription, SubscriptionCreate, SubscriptionUpdate } from '../../schemas/subscriptions.js';
import { EVENT_TYPES } from '../../schemas/subscriptions.js';

/** 32 random bytes: as strong as the HMAC-SHA256 key it becomes. */
export const newSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

const SELECT = `
  SELECT s.id, s.org_id, s.client_id, s.purpose, s.url, s.event_types, s.description, s.active, s.created_at, s.updated_at, s.ended_at,
         count(d.id) FILTER (WHERE d.status = 'pending')::int AS pending,
         count(d.id) FILTER (WHERE d.status = 'delivered')::int AS delivered,
         count(d.id) FILTER (WHERE d.status = 'dead')::int AS dead,
         count(d.id) FILTER (WHERE d.status = 'cancelled')::int AS cancelled
    FROM publish_subscription s LEFT JOIN publish_delivery d ON d.subscription_id = s.id`;

interface Row {
  id: string; org_id: string; client_id: string; purpose: string; url: string; event_types: string[]; description: string | null;
  active: boolean; created_at: Date; updated_at: Date; ended_at: Date | null; pending: number; delivered: number; dead: number; cancelled: number;
}

const fromRow = (r: Row): Subscription => ({
  id: Number(r.id), orgId: Number(r.org_id), clientId: Number(r.client_id), purpose: r.purpose, url: r.url,
  eventTypes: r.event_types as Subscription['eventTypes'], description: r.description, active: r.active,
  createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(), endedAt: r.ended_at?.toISOString() ?? null,
  deliveries: { pending: r.pending, delivered: r.delivered, dead: r.dead, cancelled: r.cancelled },
});

/** A page of subscriptions in id order: those after the id `after` (0 from the start), at most `limit`. */
export async function listSubscriptions(
  db: pg.Pool | pg.PoolClient, filter: { org?: number; active?: boolean }, page: { after: number; limit: number },
): Promise<Subscription[]> {
  const { rows } = await db.query<Row>(
    `${SELECT} WHERE ($1::bigint IS NULL OR s.org_id = $1) AND ($2::boolean IS NULL OR s.active = $2) AND s.id > $3
      GROUP BY s.id ORDER BY s.id LIMIT $4`,
    [filter.org ?? null, filter.active ?? null, page.after, page.limit],
  );
  return rows.map(fromRow);
}

export async function subscriptionById(db: pg.Pool | pg.PoolClient, id: number): Promise<Subscription | null> {
  const row = (await db.query<Row>(`${SELECT} WHERE s.id = $1 GROUP BY s.id`, [id])).rows[0];
  return row ? fromRow(row) : null;
}

/** The client a subscription decides as. */
export interface Subscriber {
  id: number;
  orgId: number;
  role: Role;
}

/** The client a new subscription would decide as; null when it does not exist or is revoked. */
export async function liveClient(db: pg.Pool | pg.PoolClient, clientId: number): Promise<Subscriber | null> {
  const row = (await db.query<{ id: string; org_id: string; role: Role }>('SELECT id, org_id, role FROM api_client WHERE id = $1 AND revoked_at IS NULL', [clientId])).rows[0];
  return row ? { id: Number(row.id), orgId: Number(row.org_id), role: row.role } : null;
}

/** A subscription's client, revoked or not, and its purpose; null when there is no such subscription. */
export async function subscriberOf(db: pg.Pool | pg.PoolClient, subscriptionId: number): Promise<Subscriber & { purpose: string } | null> {
  const row = (await db.query<{ id: string; org_id: string; role: Role; purpose: string }>(
    'SELECT c.id, c.org_id, c.role, s.purpose FROM publish_subscription s JOIN api_client c ON c.id = s.client_id WHERE s.id = $1', [subscriptionId],
  )).rows[0];
  return row ? { id: Number(row.id), orgId: Number(row.org_id), role: row.role, purpose: row.purpose } : null;
}

export async function createSubscription(
  db: pg.PoolClient, input: SubscriptionCreate & { orgId: number }, createdBy: number,
): Promise<{ subscription: Subscription; secret: string }> {
  const secret = newSecret();
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO publish_subscription (org_id, client_id, purpose, url, secret, event_types, description, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [input.orgId, input.clientId, input.purpose, input.url, secret, input.eventTypes ?? [...EVENT_TYPES], input.description ?? null, createdBy],
  );
  return { subscription: (await subscriptionById(db, Number(rows[0]!.id)))!, secret };
}

export class SubscriptionEnded extends Error {
  constructor(id: number) {
    super(`subscription ${id} has ended; an ended subscription is not changed or resumed: subscribe again`);
  }
}

/**
 * Changes a subscription; deactivating it cancels the deliveries not yet made (or, `waiting`, makes them dead letters
 * with its error); `end` ends it for good. Null when
 * there is none; SubscriptionEnded when it has ended.
 */
export async function updateSubscription(
  db: pg.PoolClient, id: number, change: SubscriptionUpdate & { end?: boolean },
  waiting: { status: 'cancelled' } | { status: 'dead'; error: string } = { status: 'cancelled' },
): Promise<{ before: Subscription; after: Subscription } | null> {
  // Locked first, so that `before` is what this change replaced.
  const locked = (await db.query<{ ended: boolean }>('SELECT ended_at IS NOT NULL AS ended FROM publish_subscription WHERE id = $1 FOR UPDATE', [id])).rows[0];
  if (!locked) return null;
  if (locked.ended) throw new SubscriptionEnded(id);
  const before = (await db.query<Row>(`${SELECT} WHERE s.id = $1 GROUP BY s.id`, [id])).rows[0]!;
  await db.query(
    `UPDATE publish_subscription SET purpose = coalesce($2, purpose), url = coalesce($3, url), event_types = coalesce($4, event_types),
            description = CASE WHEN $5::boolean THEN $6 ELSE description END, active = coalesce($7, active), updated_at = now(),
            ended_at = CASE WHEN $8::boolean THEN now() END
      WHERE id = $1`,
    [id, change.purpose ?? null, change.url ?? null, change.eventTypes ?? null, change.description !== undefined, change.description ?? null,
      change.end ? false : change.active ?? null, change.end === true],
  );
  if (change.active === false || change.end) {
    await db.query("UPDATE publish_delivery SET status = $2, body = NULL, last_error = coalesce($3, last_error) WHERE subscription_id = $1 AND status = 'pending'",
      [id, waiting.status, 'error' in waiting ? waiting.error : null]);
  }
  return { before: fromRow(before), after: (await subscriptionById(db, id))! };
}

/** Why the deliveries a receiver's 410 left waiting became dead letters, for the DPO and `hub pipeline redeliver`. */
export const GONE_PAUSE_ERROR = 'not sent: the subscription was paused after its receiver answered 410 (gone); resume it and redeliver once its URL is put right';

/**
 * Pauses a subscription whose receiver answered 410 Gone, in the caller's transaction, as updateSubscription does,
 * except that the deliveries not yet made become dead letters (not cancelled), so that `hub pipeline redeliver`
 * decides and sends them afresh once the URL is put right and the subscription resumed. Null when it is not
 * active any more (paused or ended meanwhile, by the DPO or by another delivery's 410): nothing changed.
 */
export async function pauseGoneSubscription(db: pg.PoolClient, id: number): Promise<{ before: Subscription; after: Subscription } | null> {
  const locked = (await db.query<{ active: boolean }>('SELECT active AND ended_at IS NULL AS active FROM publish_subscription WHERE id = $1 FOR UPDATE', [id])).rows[0];
  if (!locked?.active) return null;
  return updateSubscription(db, id, { active: false }, { status: 'dead', error: GONE_PAUSE_ERROR });
}

export async function replaceSecret(db: pg.PoolClient, id: number): Promise<{ subscription: Subscription; secret: string } | null> {
  const secret = newSecret();
  const { rows } = await db.query<{ ended: boolean }>(
    'UPDATE publish_subscription SET secret = CASE WHEN ended_at IS NULL THEN $2 ELSE secret END, updated_at = now() WHERE id = $1 RETURNING ended_at IS NOT NULL AS ended', [id, secret]);
  if (!rows[0]) return null;
  if (rows[0].ended) throw new SubscriptionEnded(id);
  return { subscription: (await subscriptionById(db, id))!, secret };
}
