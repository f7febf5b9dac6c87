/**
 * Signing deliveries, in the style of Stripe and GitHub: an HMAC-SHA256 over
 * "timestamp.body" with the subscription's secret. The timestamp in the
 * signed text lets a receiver refuse replays of old deliveries; the event id
 * lets it drop repeats of recent ones.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-hub-signature';
export const EVENT_ID_HEADER = 'x-hub-event-id';
export const EVENT_TYPE_HEADER = 'x-hub-event-type';

const hmac = (secret: string, timestamp: number, body: string): string =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');

/** The header value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`. */
export function signatureHeader(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

/**
 * What a receiver does (also used by the tests): recompute the HMAC over the
 * raw body as received and compare in constant time; refuse timestamps more
 * than `toleranceSeconds` from now.
 */
export function verifySignature(secret: string, body: string, header: string, options: { now?: number; toleranceSeconds?: number } = {}): boolean {
  const parts = new Map(header.split(',').map((p) => {
    const i = p.indexOf('=');
    return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
  }));
  const timestamp = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!Number.isInteger(timestamp) || !given || !/^[0-9a-f]{64}$/.test(given)) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  return timingSafeEqual(Buffer.from(hmac(secret, timestamp, body), 'hex'), Buffer.from(given, 'hex'));
}
