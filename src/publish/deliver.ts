/**
 * One delivery: POST the stored body to the subscriber, signed. A 2xx answer
 * delivers it; anything else (another status, a timeout, no connection)
 * throws, so pg-boss retries it with backoff and, after the last retry,
 * moves the job to the dead letter queue. The delivery row says the same for
 * the DPO and the status command. At least once: a receiver that answered
 * too late may see an event again, with the same event id.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Role } from '../../schemas/roles.js';
import { withAudit } from '../audit/store.js';
import { HUB_ACTOR, registerChangeEntry } from '../register/change-entry.js';
import { postJson } from './post.js';
import { ForbiddenReceiver, type Resolve } from './receiver-address.js';
import { refusal, type RecheckContext } from './recheck.js';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.js';
import { pauseGoneSubscription } from './subscriptions.js';

export interface DeliverOptions extends RecheckContext {
  pool: pg.Pool;
  /** How long a receiver has to answer. */
  timeoutMs: number;
  /** How receivers' host names are resolved; the system's resolver when not given. */
  resolve?: Resolve;
}

export interface Attempt {
  retryCount: number;
  /** Unknown outside the queue; then this attempt is not the last. */
  retryLimit?: number;
}

export class DeliveryFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryFailed';
  }
}

export type DeliveryResult = 'delivered' | 'skipped' | 'cancelled' | 'gone';

/** Why a request failed, without the URL (it may carry a token of the receiver's). */
function reasonOf(error: unknown, timeoutMs: number): string {
  if (error instanceof ForbiddenReceiver) return error.message;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  return `could not reach the receiver${code ? ` (${code})` : ''}`;
}

interface DeliveryRow {
  subscription_id: string; status: string; body: string | null; event_type: string; url: string; secret: string; active: boolean;
  purpose: string; client_id: string; org_id: string; role: Role; client_live: boolean; citizen_status: string | null;
}

const DELIVERY = `
  SELECT d.subscription_id, d.status, d.body, d.event_type, s.url, s.secret, s.active, s.purpose, a.id AS client_id, a.org_id, a.role,
         a.revoked_at IS NULL AS client_live, c.status AS citizen_status
    FROM publish_delivery d JOIN publish_subscription s ON s.id = d.subscription_id JOIN api_client a ON a.id = s.client_id
    LEFT JOIN citizen c ON c.ref = d.citizen_ref
   WHERE d.id = $1`;

/** Why this attempt is not made: the subscription ended, or the policy as it stands no longer permits the body. */
async function cancelReason(options: DeliverOptions, row: DeliveryRow & { body: string }): Promise<string | null> {
  if (!row.active) return 'not sent: the subscription ended';
  return refusal(options.pool, options, {
    clientId: Number(row.client_id), orgId: Number(row.org_id), role: row.role, purpose: row.purpose,
    clientLive: row.client_live, citizenStatus: row.citizen_status,
  }, row.body);
}

const isLast = (attempt: Attempt): boolean => attempt.retryLimit !== undefined && attempt.retryCount >= attempt.retryLimit;

export async function deliver(options: DeliverOptions, deliveryId: string, attempt: Attempt): Promise<DeliveryResult> {
  try {
    return await attemptDelivery(options, deliveryId, attempt);
  } catch (error) {
    // The queue gives up after this attempt whatever failed: a body left pending would be personal data kept for no
    // delivery. Best effort: the error thrown is the one that failed the attempt.
    if (!(error instanceof DeliveryFailed) && isLast(attempt)) {
      await options.pool.query(
        "UPDATE publish_delivery SET status = 'dead', body = NULL, last_error = 'the hub failed to make the attempt' WHERE id = $1 AND status = 'pending'",
        [deliveryId],
      ).catch(() => undefined);
    }
    throw error;
  }
}

/**
 * Gone: the receiver says the endpoint will not come back, so retrying, or sending it the next event, only sends
 * personal data to an address that no longer takes it. The delivery is a dead letter at once and the subscription
 * is paused (pauseGoneSubscription), both in one transaction with the pause's audit entry: a change the hub made
 * itself, under HUB_ACTOR, with why. The DPO puts the URL right, resumes it, and `hub pipeline redeliver` sends
 * the dead letters afresh.
 */
async function receiverGone(options: DeliverOptions, deliveryId: string, subscriptionId: number): Promise<void> {
  await withAudit(options.pool, async (db) => {
    await db.query(
      "UPDATE publish_delivery SET status = 'dead', body = NULL, attempts = attempts + 1, last_attempt_at = now(), last_error = $2 WHERE id = $1",
      [deliveryId, 'receiver answered 410 (gone): not retried; the subscription is paused'],
    );
    const paused = await pauseGoneSubscription(db, subscriptionId);
    if (!paused) return { result: undefined, entries: [] };
    const entry = registerChangeEntry(HUB_ACTOR, `hub-${randomUUID()}`, options.clock(), { action: 'subscription.pause', ...paused });
    return { result: undefined, entries: [{ ...entry, detail: { ...entry.detail, reason: `delivery ${deliveryId}: the receiver answered 410 (gone)` } }] };
  });
}

async function attemptDelivery(options: DeliverOptions, deliveryId: string, attempt: Attempt): Promise<DeliveryResult> {
  const row = (await options.pool.query<DeliveryRow>(DELIVERY, [deliveryId])).rows[0];
  // Delivered by an earlier attempt whose completion was lost, or cancelled: nothing to do.
  if (!row || row.status !== 'pending' || row.body === null) return 'skipped';
  const cancelled = await cancelReason(options, { ...row, body: row.body });
  if (cancelled !== null) {
    await options.pool.query("UPDATE publish_delivery SET status = 'cancelled', body = NULL, last_error = $2 WHERE id = $1 AND status = 'pending'", [deliveryId, cancelled]);
    return 'cancelled';
  }
  const timestamp = Math.floor(options.clock().getTime() / 1000);
  let failure: string;
  try {
    // A URL stored before it was checked, or a name that resolves there now, fails: the DPO fixes it with the URL.
    const status = await postJson({
      url: new URL(row.url),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'citizen-hub',
        [EVENT_ID_HEADER]: deliveryId,
        [EVENT_TYPE_HEADER]: row.event_type,
        [SIGNATURE_HEADER]: signatureHeader(row.secret, row.body, timestamp),
      },
      body: row.body,
      timeoutMs: options.timeoutMs,
      ...(options.resolve ? { resolve: options.resolve } : {}),
    });
    if (status >= 200 && status < 300) {
      // The body goes once delivered: the audit trail records what was disclosed, the hub keeps no second copy.
      await options.pool.query(
        "UPDATE publish_delivery SET status = 'delivered', body = NULL, attempts = attempts + 1, last_attempt_at = now(), delivered_at = now(), last_error = NULL WHERE id = $1",
        [deliveryId],
      );
      return 'delivered';
    }
    if (status === 410) {
      await receiverGone(options, deliveryId, Number(row.subscription_id));
      return 'gone';
    }
    failure = `receiver answered ${status}`;
  } catch (error) {
    failure = error instanceof DeliveryFailed ? error.message : reasonOf(error, options.timeoutMs);
  }
  const last = isLast(attempt);
  await options.pool.query(
    `UPDATE publish_delivery SET attempts = attempts + 1, last_attempt_at = now(), last_error = $2,
            status = CASE WHEN $3 THEN 'dead' ELSE status END, body = CASE WHEN $3 THEN NULL ELSE body END
      WHERE id = $1`,
    [deliveryId, failure, last],
  );
  throw new DeliveryFailed(failure);
}
