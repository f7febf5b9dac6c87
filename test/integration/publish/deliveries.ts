/** What the publishing tests read back: accounts by a linked record, and the events fanned out to a subscription. */
import type pg from 'pg';
import type { PublishedEvent } from '../../../schemas/subscriptions.js';
import { publishPending, type PublishContext } from '../../../src/publish/fanout.js';

/** The account a source record is linked to now. */
export const refOfRecord = async (pool: pg.Pool, sourceRef: string): Promise<string> => (await pool.query<{ ref: string }>(
  'SELECT c.ref FROM citizen_link l JOIN citizen c ON c.id = l.citizen_id WHERE l.source_ref = $1 AND l.ended_at IS NULL', [sourceRef])).rows[0]!.ref;

/** Publishes what is pending, then returns the events delivered to the subscription since the last call, in order. */
export function deliveredSince(to: () => { publish: PublishContext; pool: pg.Pool; subscription: number }): () => Promise<PublishedEvent[]> {
  let seen = 0;
  return async () => {
    const { publish, pool, subscription } = to();
    await publishPending(publish);
    const { rows } = await pool.query<{ sequence: string; body: string }>(
      'SELECT sequence, body FROM publish_delivery WHERE subscription_id = $1 AND sequence > $2 ORDER BY sequence', [subscription, seen]);
    seen += rows.length;
    return rows.map((r) => JSON.parse(r.body) as PublishedEvent);
  };
}
