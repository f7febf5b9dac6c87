/**
 * The audit trail's hash chain: every entry carries the hash of the one
 * before it, and its own hash covers its sequence number, its content and
 * that previous hash. Editing, deleting, reordering or forking entries then
 * shows up as a break that verifyChain reports by sequence number.
 *
 * Pure: hashing is computation, not I/O. Storage (an append-only table with
 * the chain head taken under a lock) lives with the database code.
 */
import { createHash } from 'node:crypto';
import type { DataCategory } from '../../schemas/categories.js';
import type { Role } from '../../schemas/roles.js';

/** The prevHash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * One disclosure decision, permit or deny. Scalars are meant as columns, the
 * arrays and `reasons` as jsonb (or text[]); everything must round-trip
 * exactly, since the hash is recomputed from the stored values.
 */
export interface AuditEntry {
  /** ISO 8601 UTC time with milliseconds, e.g. 2026-06-15T10:00:00.000Z. */
  at: string;
  requestId: string;
  /** What was done, e.g. citizen.read, citizen.search, event.publish, access.explain. */
  action: string;
  clientId: number;
  orgId: number;
  role: Role;
  purpose: string;
  /** Null for actions about no one citizen (a search that matched nobody). */
  citizenRef: string | null;
  agreements: Array<{ id: string; version: number }>;
  consentIds: string[];
  categoriesDisclosed: DataCategory[];
  categoriesDenied: DataCategory[];
  fieldsDisclosed: string[];
  decision: 'permit' | 'partial' | 'deny';
  /** The engine's reason for each denied category. */
  reasons: Partial<Record<DataCategory, string>>;
  policyVersion: string;
  breakGlassReason: string | null;
  reviewRequired: boolean;
}

export interface ChainLink {
  seq: number;
  prevHash: string;
  hash: string;
}

export type ChainedEntry = AuditEntry & ChainLink;

export type VerifyResult = { ok: true; count: number } | { ok: false; firstBrokenSeq: number; reason: string };

/**
 * JSON with object keys in code-point order at every level, so that the same
 * value always gives the same text (a jsonb column does not keep key order).
 * Refuses values JSON cannot carry faithfully rather than hashing a lossy form.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return canonicalJson((value as { toJSON: () => unknown }).toJSON());
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: numbers must be finite');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot serialise a ${typeof value}`);
  }
}

/** SHA-256 (hex) of the previous hash and the canonical content; the content includes seq. */
export function entryHash(prevHash: string, content: object): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(content)).digest('hex');
}

/** The next link of the chain after `last` (null: the chain is empty). */
export function chainEntry(last: { seq: number; hash: string } | null, entry: AuditEntry): ChainedEntry {
  const seq = last === null ? 1 : last.seq + 1;
  const prevHash = last === null ? GENESIS_HASH : last.hash;
  return { ...entry, seq, prevHash, hash: entryHash(prevHash, { ...entry, seq }) };
}

export interface VerifyOptions {
  /** The link just before the first entry given, to verify a tail of the chain. */
  anchor?: { seq: number; hash: string };
  /**
   * A link recorded outside the database (e.g. exported daily). Entries cut
   * off the end, or a chain rewritten from scratch, are only detectable against it.
   */
  checkpoint?: { seq: number; hash: string };
}

/**
 * Checks links one at a time, so a caller can stream rows from a cursor in
 * seq order. Stops at the first break.
 */
export class ChainVerifier {
  private expectedSeq: number;
  private prevHash: string;
  private count = 0;
  private broken: { firstBrokenSeq: number; reason: string } | null = null;

  constructor(private readonly options: VerifyOptions = {}) {
    this.expectedSeq = (options.anchor?.seq ?? 0) + 1;
    this.prevHash = options.anchor?.hash ?? GENESIS_HASH;
  }

  /** False once the chain is broken; further links are ignored. */
  push(link: ChainLink): boolean {
    if (this.broken) return false;
    const { seq, prevHash, hash, ...entry } = link;
    if (seq !== this.expectedSeq) {
      return this.fail(this.expectedSeq, `expected seq ${this.expectedSeq}, found ${String(seq)}: entries deleted, repeated or out of order`);
    }
    if (prevHash !== this.prevHash) {
      return this.fail(seq, `prevHash of seq ${seq} is not the hash of the entry before it: entries replaced, reordered or forked`);
    }
    if (entryHash(prevHash, { ...entry, seq }) !== hash) {
      return this.fail(seq, `content of seq ${seq} does not match its hash: entry edited`);
    }
    const { checkpoint } = this.options;
    if (checkpoint?.seq === seq && checkpoint.hash !== hash) {
      return this.fail(seq, `hash of seq ${seq} differs from the recorded checkpoint: chain rewritten`);
    }
    this.prevHash = hash;
    this.expectedSeq += 1;
    this.count += 1;
    return true;
  }

  result(): VerifyResult {
    if (this.broken) return { ok: false, ...this.broken };
    const { checkpoint } = this.options;
    if (checkpoint && checkpoint.seq >= this.expectedSeq) {
      const reason = `chain ends at seq ${this.expectedSeq - 1}, before the recorded checkpoint at seq ${checkpoint.seq}: entries deleted at the end`;
      return { ok: false, firstBrokenSeq: this.expectedSeq, reason };
    }
    return { ok: true, count: this.count };
  }

  private fail(firstBrokenSeq: number, reason: string): false {
    this.broken = { firstBrokenSeq, reason };
    return false;
  }
}

export function verifyChain(entries: Iterable<ChainLink>, options: VerifyOptions = {}): VerifyResult {
  const verifier = new ChainVerifier(options);
  for (const entry of entries) if (!verifier.push(entry)) break;
  return verifier.result();
}
