/**
 * Turning recorded changes into deliveries: for every active subscription,
 * the citizens it asks about go through the same disclosure as a read
 * (src/citizens/disclosure.ts: policy per citizen and category, filtering,
 * an audit entry per citizen, action event.publish). A citizen the
 * subscriber may see nothing of gets no delivery, only the audited denial.
 *
 * The audit entries are written in the batch's transaction and commit with
 * the deliveries they allow, so nothing can be sent that was not audited; if
 * the batch fails, neither stays and the changes are decided (and audited)
 * again on the next run.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { transaction } from '../db/transaction.js';
import type PgBoss from 'pg-boss';
import type { CitizenView } from '../../schemas/citizen-view.js';
import type { EventType, PublishedEvent } from '../../schemas/subscriptions.js';
import type { OrgKind } from '../../schemas/register.js';
import type { Role } from '../../schemas/roles.js';
import { discloseMany, type DisclosureContext } from '../citizens/disclosure.js';
import type { CitizenSource } from '../citizens/source.js';
import { londonDate } from '../policy/decide.js';
import type { PolicyOptions } from '../policy/options.js';
import { householdsChanged } from './households.js';

/** The queue of single deliveries; named under pipeline. so that `hub pipeline status` counts it. */
export const DELIVER_QUEUE = 'pipeline.deliver';
export const PUBLISH_ACTION = 'event.publish';

export interface PublishContext {
  pool: pg.Pool;
  boss: PgBoss;
  source: CitizenSource;
  options: PolicyOptions;
  clock: () => Date;
}

export interface DeliveryJob {
  deliveryId: string;
}

interface Change {
  id: number;
  citizenId: number;
  otherId: number | null;
  type: EventType;
  changedAt: Date;
  ref: string;
  /** The change still has something to announce: its account is active, or it is the closing of the account, now closed. */
  stands: boolean;
  otherRef: string | null;
}

interface Subscriber {
  id: number;
  clientId: number;
  orgId: number;
  orgName: string;
  orgKind: OrgKind;
  role: Role;
  purpose: string;
  eventTypes: EventType[];
}

interface ChangeRow { id: string; citizen_id: string; other_citizen: string | null; event_type: EventType; changed_at: Date; ref: string; stands: boolean; other_ref: string | null }

const changeOf = (r: ChangeRow): Change => ({
  id: Number(r.id), citizenId: Number(r.citizen_id), otherId: r.other_citizen === null ? null : Number(r.other_citizen),
  type: r.event_type, changedAt: r.changed_at, ref: r.ref, stands: r.stands, otherRef: r.other_ref,
});

/** An account merged away or closed since its change has nothing to show: the survivor's citizen.merged, or the citizen.closed, tells the story. */
const STANDS = "(c.status = 'active' OR c.status = 'closed' AND o.event_type = 'citizen.closed') AS stands";

const DUE = 'o.published_at IS NULL AND (o.retry_after IS NULL OR o.retry_after <= now())';

// SKIP LOCKED: concurrent publish jobs take different changes instead of waiting on each other. $2: that change only.
const PENDING = `
  SELECT o.id, o.citizen_id, o.other_citizen, o.event_type, o.changed_at, c.ref, ${STANDS}, m.ref AS other_ref
    FROM citizen_outbox o JOIN citizen c ON c.id = o.citizen_id LEFT JOIN citizen m ON m.id = o.other_citizen
   WHERE ${DUE} AND ($2::bigint IS NULL OR o.id = $2)
   ORDER BY o.id LIMIT $1
     FOR UPDATE OF o SKIP LOCKED`;

const NEXT_DUE = `SELECT o.id FROM citizen_outbox o WHERE ${DUE} ORDER BY o.id LIMIT $1`;

// Tried again after a minute, doubling with each failure up to a day: a passing fault costs a minute, a lasting one little.
const SET_ASIDE = `
  UPDATE citizen_outbox SET failures = failures + 1, last_error = $2,
         retry_after = now() + least(interval '1 minute' * power(2, failures), interval '1 day')
   WHERE id = $1 AND published_at IS NULL`;

// A revoked client's subscription receives nothing: it could not read either. Locked (in id order), so that batches
// published at once number each subscription's events in the order of the changes: the second waits, then takes later ones.
const SUBSCRIBERS = `
  SELECT s.id, s.client_id, a.org_id, g.name AS org_name, g.kind AS org_kind, a.role, s.purpose, s.event_types
    FROM publish_subscription s JOIN api_client a ON a.id = s.client_id AND a.revoked_at IS NULL JOIN organisation g ON g.id = a.org_id
   WHERE s.active AND ($1::bigint IS NULL OR s.id = $1) ORDER BY s.id
     FOR UPDATE OF s`;

// Each subscription numbers the events it is sent: a hub-wide counter's gaps would count the changes of people it may not see.
const NUMBER = 'UPDATE publish_subscription SET last_sequence = last_sequence + $2 WHERE id = $1 RETURNING last_sequence';

function eventBody(deliveryId: string, sequence: number, change: Change, subscriber: Subscriber, view: CitizenView): string {
  const event: PublishedEvent = {
    id: deliveryId,
    type: change.type,
    sequence,
    occurredAt: change.changedAt.toISOString(),
    subscriptionId: subscriber.id,
    purpose: subscriber.purpose,
    citizenRef: change.ref,
    ...(change.type === 'citizen.merged' && change.otherRef ? { mergedRef: change.otherRef } : {}),
    citizen: view,
  };
  return JSON.stringify(event);
}

interface Decided {
  requestId: string;
  /** The changes the subscriber may see something of, each with the view as filtered for it. */
  visible: Array<{ change: Change; view: CitizenView }>;
  withheld: number;
}

/**
 * Decides the changes for one subscriber as a read by its client for its
 * purpose would be (audited as event.publish in the caller's transaction).
 */
async function decideFor(db: pg.PoolClient, ctx: PublishContext, subscriber: Subscriber, changes: readonly Change[]): Promise<Decided> {
  const refs = [...new Set(changes.map((c) => c.ref))];
  const requestId = randomUUID();
  const disclosure: DisclosureContext = { pool: ctx.pool, source: ctx.source, options: ctx.options, clock: ctx.clock };
  const outcome = await discloseMany(disclosure, {
    client: { id: subscriber.clientId, orgId: subscriber.orgId, orgName: subscriber.orgName, orgKind: subscriber.orgKind, role: subscriber.role, systems: [] },
    purpose: subscriber.purpose, breakGlassReason: null, requestId, action: PUBLISH_ACTION,
  }, { candidates: refs }, { offset: 0, limit: refs.length }, db);
  if (outcome.kind !== 'ok') return { requestId, visible: [], withheld: refs.length };
  const views = new Map(outcome.value.citizens.map((v) => [v.ref, v]));
  const visible = changes.flatMap((change) => {
    const view = views.get(change.ref);
    return view ? [{ change, view }] : [];
  });
  return { requestId, visible, withheld: refs.length - views.size };
}

const subscribersOf = async (db: pg.PoolClient, only: number | null): Promise<Subscriber[]> =>
  (await db.query<{ id: string; client_id: string; org_id: string; org_name: string; org_kind: OrgKind; role: Role; purpose: string; event_types: EventType[] }>(
    SUBSCRIBERS, [only],
  )).rows.map((r) => ({
    id: Number(r.id), clientId: Number(r.client_id), orgId: Number(r.org_id), orgName: r.org_name, orgKind: r.org_kind, role: r.role, purpose: r.purpose, eventTypes: r.event_types,
  }));

/** Why a subscription has no subscriber to send to, in the operator's words: it does not exist, is inactive, or its client is revoked. */
async function whyNotSubscriber(db: pg.PoolClient, subscriptionId: number): Promise<string> {
  const { rows } = await db.query<{ active: boolean; revoked: boolean }>(
    'SELECT s.active, a.revoked_at IS NOT NULL AS revoked FROM publish_subscription s JOIN api_client a ON a.id = s.client_id WHERE s.id = $1', [subscriptionId]);
  const s = rows[0];
  if (!s) return `there is no subscription ${subscriptionId}`;
  return s.active ? `subscription ${subscriptionId} cannot be sent to: its client is revoked` : `subscription ${subscriptionId} is not active`;
}

const jobSender = (db: pg.PoolClient) => ({ db: { executeSql: (text: string, values: unknown[]) => db.query(text, values) } });

/** The first of `count` new sequence numbers of the subscription. */
async function numbers(db: pg.PoolClient, subscriptionId: number, count: number): Promise<number> {
  const last = (await db.query<{ last_sequence: string }>(NUMBER, [subscriptionId, count])).rows[0]!.last_sequence;
  return Number(last) - count + 1;
}

/**
 * One batch of pending changes (or the one change `only`) in one transaction; returns how many changes it took and
 * how many it recorded for the housemates of people who moved (see households.ts), to be published after it.
 */
async function publishBatch(ctx: PublishContext, limit: number, counts: PublishCounts, only: number | null = null): Promise<{ taken: number; housemates: number }> {
  const done = await transaction(ctx.pool, async (db) => {
    const subscribers = await subscribersOf(db, null);
    const changes: Change[] = (await db.query<ChangeRow>(PENDING, [limit, only])).rows.map(changeOf);
    if (changes.length === 0) return { taken: 0, housemates: 0 };
    // Both sides of a merge: the account merged away lives nowhere now.
    const residents = new Map<number, string>();
    for (const c of changes) {
      residents.set(c.citizenId, c.ref);
      if (c.otherId !== null && c.otherRef !== null) residents.set(c.otherId, c.otherRef);
    }
    const housemates = await householdsChanged(db, ctx.source.within?.(db) ?? ctx.source, residents, londonDate(ctx.clock()));
    for (const subscriber of subscribers) {
      const wanted = changes.filter((c) => c.stands && subscriber.eventTypes.includes(c.type));
      if (wanted.length === 0) continue;
      const { requestId, visible, withheld } = await decideFor(db, ctx, subscriber, wanted);
      counts.withheld += withheld;
      if (visible.length === 0) continue;
      let sequence = await numbers(db, subscriber.id, visible.length);
      for (const { change, view } of visible) {
        const deliveryId = randomUUID();
        await db.query(
          `INSERT INTO publish_delivery (id, outbox_id, subscription_id, citizen_ref, event_type, audit_request_id, sequence, body)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [deliveryId, change.id, subscriber.id, change.ref, change.type, requestId, sequence, eventBody(deliveryId, sequence, change, subscriber, view)],
        );
        sequence++;
        await ctx.boss.send(DELIVER_QUEUE, { deliveryId } satisfies DeliveryJob, jobSender(db));
        counts.deliveries++;
      }
    }
    await db.query('UPDATE citizen_outbox SET published_at = now() WHERE id = ANY($1::bigint[])', [changes.map((c) => c.id)]);
    return { taken: changes.length, housemates };
  });
  counts.changes += done.taken;
  return done;
}

const DEAD = `
  SELECT d.id AS delivery_id, d.sequence, o.id, o.citizen_id, o.other_citizen, o.event_type, o.changed_at, c.ref, ${STANDS}, m.ref AS other_ref
    FROM publish_delivery d JOIN citizen_outbox o ON o.id = d.outbox_id
    JOIN citizen c ON c.id = o.citizen_id LEFT JOIN citizen m ON m.id = o.other_citizen
   WHERE d.subscription_id = $1 AND d.status = 'dead'
   ORDER BY o.id
     FOR UPDATE OF d`;

export interface Redelivery {
  /** Dead letters queued again, under their own event ids (receivers dedupe on them). */
  requeued: number;
  /** Dead letters the subscriber may no longer see anything of (or whose account was merged away): cancelled, not sent. */
  cancelled: number;
}

/**
 * Sends a subscription's dead letters again, once its receiver works: each
 * is decided afresh by the policy as it stands now (a dead letter's body is
 * dropped, and what may be disclosed can have changed since), audited as
 * event.publish, and queued under its old event id and sequence with its attempts reset.
 */
export async function redeliverDead(ctx: PublishContext, subscriptionId: number): Promise<Redelivery> {
  return transaction(ctx.pool, async (db) => {
    const [subscriber] = await subscribersOf(db, subscriptionId);
    if (!subscriber) throw new Error(await whyNotSubscriber(db, subscriptionId));
    const dead = (await db.query<ChangeRow & { delivery_id: string; sequence: string }>(DEAD, [subscriptionId])).rows
      .map((r) => ({ deliveryId: r.delivery_id, sequence: Number(r.sequence), change: changeOf(r) }));
    const active = dead.filter((d) => d.change.stands).map((d) => d.change);
    // Nobody to decide about is no disclosure: a disclosure of no one would be audited as a search that found nobody.
    const { requestId, visible } = active.length > 0 ? await decideFor(db, ctx, subscriber, active) : { requestId: '', visible: [] };
    const views = new Map(visible.map(({ change, view }) => [change.id, view]));
    let requeued = 0;
    for (const { deliveryId, sequence, change } of dead) {
      const view = views.get(change.id);
      if (!view) {
        await db.query("UPDATE publish_delivery SET status = 'cancelled', last_error = 'not redelivered: nothing of this citizen may be sent now' WHERE id = $1", [deliveryId]);
        continue;
      }
      await db.query(
        "UPDATE publish_delivery SET status = 'pending', attempts = 0, last_error = NULL, audit_request_id = $2, body = $3 WHERE id = $1",
        [deliveryId, requestId, eventBody(deliveryId, sequence, change, subscriber, view)],
      );
      await ctx.boss.send(DELIVER_QUEUE, { deliveryId } satisfies DeliveryJob, jobSender(db));
      requeued++;
    }
    return { requeued, cancelled: dead.length - requeued };
  });
}

export interface PublishCounts {
  changes: number;
  deliveries: number;
  /** Citizen–subscriber pairs with nothing the subscriber may see: no delivery. */
  withheld: number;
  /** Changes that failed on their own, set aside to be tried again later. */
  setAside: number;
}

/** What an error was, without its message, which may quote a value. */
const errorKind = (error: unknown): string => {
  const code = (error as { code?: unknown }).code;
  return `${error instanceof Error ? error.name : 'non-error thrown'}${typeof code === 'string' ? ` ${code}` : ''}`;
};

/**
 * After a batch failed: the changes it would have taken, each alone, so that
 * one that cannot be published holds up no other; one that fails alone is
 * set aside. Returns how many changes it went through.
 */
async function publishEachAlone(ctx: PublishContext, limit: number, counts: PublishCounts): Promise<number> {
  const ids = (await ctx.pool.query<{ id: string }>(NEXT_DUE, [limit])).rows.map((r) => Number(r.id));
  for (const id of ids) {
    try {
      await publishBatch(ctx, 1, counts, id);
    } catch (error) {
      await ctx.pool.query(SET_ASIDE, [id, errorKind(error)]);
      counts.setAside++;
    }
  }
  return ids.length;
}

/** Publishes every pending change, a batch at a time. */
export async function publishPending(ctx: PublishContext, batchSize = 200): Promise<PublishCounts> {
  const counts: PublishCounts = { changes: 0, deliveries: 0, withheld: 0, setAside: 0 };
  for (;;) {
    const { taken, housemates } = await publishBatch(ctx, batchSize, counts).catch(async () => ({ taken: await publishEachAlone(ctx, batchSize, counts), housemates: 0 }));
    if (taken < batchSize && housemates === 0) return counts;
  }
}
