/**
 * API keys: `chub_<key id>_<secret>`. The key id finds the row; only a
 * SHA-256 of the 256-bit random secret is stored (a slow hash adds nothing
 * for a secret of that strength) and compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY_PATTERN = /^chub_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/** A key id as `hub clients list` shows it (the key's public part). */
export const KEY_ID = /^[0-9a-f]{16}$/;

export interface NewKey {
  key: string;
  keyId: string;
  secretHash: Buffer;
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function generateKey(): NewKey {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { key: `chub_${keyId}_${secret}`, keyId, secretHash: hashSecret(secret) };
}

export function parseKey(key: string): { keyId: string; secret: string } | null {
  const match = KEY_PATTERN.exec(key);
  return match ? { keyId: match[1]!, secret: match[2]! } : null;
}

export function secretMatches(secret: string, storedHash: Buffer): boolean {
  const hash = hashSecret(secret);
  return hash.length === storedHash.length && timingSafeEqual(hash, storedHash);
}
