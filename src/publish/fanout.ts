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
import type { Role } from '../../schemas/roles.js';
import { discloseMany, type DisclosureContext } from '../citizens/disclosure.js';
import type { CitizenSource } from '../citizens/source.js';
import type { PolicyOptions } from '../policy/options.js';

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
  type: EventType;
  changedAt: Date;
  ref: string;
  active: boolean;
  otherRef: string | null;
}

interface Subscriber {
  id: number;
  clientId: number;
  orgId: number;
  orgName: string;
  role: Role;
  purpose: string;
  eventTypes: EventType[];
}

// SKIP LOCKED: concurrent publish jobs take different changes instead of waiting on each other.
const PENDING = `
  SELECT o.id, o.event_type, o.changed_at, c.ref, c.status = 'active' AS active, m.ref AS other_ref
    FROM citizen_outbox o JOIN citizen c ON c.id = o.citizen_id LEFT JOIN citizen m ON m.id = o.other_citizen
   WHERE o.published_at IS NULL
   ORDER BY o.id LIMIT $1
     FOR UPDATE OF o SKIP LOCKED`;

// A revoked client's subscription receives nothing: it could not read either.
const SUBSCRIBERS = `
  SELECT s.id, s.client_id, a.org_id, g.name AS org_name, a.role, s.purpose, s.event_types
    FROM publish_subscription s JOIN api_client a ON a.id = s.client_id AND a.revoked_at IS NULL JOIN organisation g ON g.id = a.org_id
   WHERE s.active ORDER BY s.id`;

function eventBody(deliveryId: string, change: Change, subscriber: Subscriber, view: CitizenView): string {
  const event: PublishedEvent = {
    id: deliveryId,
    type: change.type,
    sequence: change.id,
    occurredAt: change.changedAt.toISOString(),
    subscriptionId: subscriber.id,
    purpose: subscriber.purpose,
    citizenRef: change.ref,
    ...(change.type === 'citizen.merged' && change.otherRef ? { mergedRef: change.otherRef } : {}),
    citizen: view,
  };
  return JSON.stringify(event);
}

/** One batch of pending changes in one transaction; returns how many changes it took. */
async function publishBatch(ctx: PublishContext, limit: number, counts: PublishCounts): Promise<number> {
  const taken = await transaction(ctx.pool, async (db) => {
    const changes: Change[] = (await db.query<{ id: string; event_type: EventType; changed_at: Date; ref: string; active: boolean; other_ref: string | null }>(PENDING, [limit]))
      .rows.map((r) => ({ id: Number(r.id), type: r.event_type, changedAt: r.changed_at, ref: r.ref, active: r.active, otherRef: r.other_ref }));
    if (changes.length === 0) return 0;
    const subscribers = (await db.query<{ id: string; client_id: string; org_id: string; org_name: string; role: Role; purpose: string; event_types: EventType[] }>(SUBSCRIBERS))
      .rows.map((r) => ({ id: Number(r.id), clientId: Number(r.client_id), orgId: Number(r.org_id), orgName: r.org_name, role: r.role, purpose: r.purpose, eventTypes: r.event_types }));
    const disclosure: DisclosureContext = { pool: ctx.pool, source: ctx.source, options: ctx.options, clock: ctx.clock };
    const send = { db: { executeSql: (text: string, values: unknown[]) => db.query(text, values) } };
    for (const subscriber of subscribers) {
      // An account merged away since its change has nothing to show; the survivor's citizen.merged tells the story.
      const wanted = changes.filter((c) => c.active && subscriber.eventTypes.includes(c.type));
      if (wanted.length === 0) continue;
      const refs = [...new Set(wanted.map((c) => c.ref))];
      const requestId = randomUUID();
      const outcome = await discloseMany(disclosure, {
        client: { id: subscriber.clientId, orgId: subscriber.orgId, orgName: subscriber.orgName, role: subscriber.role, systems: [] },
        purpose: subscriber.purpose, breakGlassReason: null, requestId, action: PUBLISH_ACTION,
      }, refs, { offset: 0, limit: refs.length }, db);
      if (outcome.kind !== 'ok') continue;
      const views = new Map(outcome.value.citizens.map((v) => [v.ref, v]));
      counts.withheld += refs.length - views.size;
      for (const change of wanted) {
        const view = views.get(change.ref);
        if (!view) continue;
        const deliveryId = randomUUID();
        await db.query(
          `INSERT INTO publish_delivery (id, outbox_id, subscription_id, citizen_ref, event_type, audit_request_id, body)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [deliveryId, change.id, subscriber.id, change.ref, change.type, requestId, eventBody(deliveryId, change, subscriber, view)],
        );
        await ctx.boss.send(DELIVER_QUEUE, { deliveryId } satisfies DeliveryJob, send);
        counts.deliveries++;
      }
    }
    await db.query('UPDATE citizen_outbox SET published_at = now() WHERE id = ANY($1::bigint[])', [changes.map((c) => c.id)]);
    return changes.length;
  });
  counts.changes += taken;
  return taken;
}

export interface PublishCounts {
  changes: number;
  deliveries: number;
  /** Citizen–subscriber pairs with nothing the subscriber may see: no delivery. */
  withheld: number;
}

/** Publishes every pending change, a batch at a time. */
export async function publishPending(ctx: PublishContext, batchSize = 200): Promise<PublishCounts> {
  const counts: PublishCounts = { changes: 0, deliveries: 0, withheld: 0 };
  for (;;) {
    if ((await publishBatch(ctx, batchSize, counts)) < batchSize) return counts;
  }
}
