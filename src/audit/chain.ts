/**
 * The audit trail's hash chain. An entry is written with the hash of its own
 * content (its seq included); the sealer then chains committed entries one
 * after another: seal n carries H(chain hash of seal n-1, entry hash).
 * Editing, deleting, reordering or forking entries or seals then shows up as
 * a break that SealVerifier reports by the entry's seq.
 *
 * Pure: hashing is computation, not I/O. Storage (append-only tables, the
 * sealer under an advisory lock) lives in store.ts.
 */
import { createHash } from 'node:crypto';
import type { DataCategory } from '../../schemas/categories.js';
import type { Role } from '../../schemas/roles.js';

/** The chain hash before the first seal. */
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
  /**
   * The household members a disclosed view named (by reference, sorted),
   * whose names were disclosed with it; absent when it named none, so that
   * entries without members hash as they did before the key existed.
   */
  householdRefs?: string[];
  decision: 'permit' | 'partial' | 'deny';
  /** The engine's reason for each denied category. */
  reasons: Partial<Record<DataCategory, string>>;
  policyVersion: string;
  breakGlassReason: string | null;
  reviewRequired: boolean;
}

export type VerifyResult =
  | { ok: true; count: number }
  | { ok: false; firstBrokenSeq: number; reason: string };

/**
 * JSON with object keys in code-point order at every level, so that the same
 * value always gives the same text (a jsonb column does not keep key order).
 * Refuses values JSON cannot carry faithfully rather than hashing a lossy form.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined) throw new TypeError('canonicalJson: cannot serialise a undefined');
  return canonical(value);
}

/**
 * The text of frozen plain objects and arrays that hold only primitives and
 * such objects, all the way down: none of it can change. The parts an audit
 * entry takes from its decision are shared, frozen, by every entry of that
 * decision (src/policy/audit-record.ts).
 */
const frozenText = new WeakMap<object, string>();

const isPlain = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value) as unknown;
  return Array.isArray(value) || proto === Object.prototype || proto === null;
};

const isFixed = (item: unknown): boolean =>
  item === null || item === undefined || typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean'
  || (typeof item === 'object' && frozenText.has(item));

/**
 * canonicalJson by string concatenation, without the arrays of entries a
 * functional version allocates per object: an audit entry is serialised on
 * every read. Keys sort by UTF-16 code units, as `<` compares them.
 */
function canonical(value: unknown): string {
  if (typeof value === 'object' && value !== null && Object.isFrozen(value) && isPlain(value)) {
    const known = frozenText.get(value);
    if (known !== undefined) return known;
    const text = canonicalOf(value);
    if (Object.values(value).every(isFixed)) frozenText.set(value, text);
    return text;
  }
  return canonicalOf(value);
}

/** An array of strings is what JSON.stringify makes of it, in one native call. */
const allStrings = (array: unknown[]): boolean => {
  for (let i = 0; i < array.length; i++) if (typeof array[i] !== 'string') return false;
  return true;
};

/** Whether keys are in code-unit order already (an audit entry is built so), which spares sorting them. */
function ascending(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (!(keys[i - 1]! < keys[i]!)) return false;
  return true;
}

/** Object keys as JSON strings: the same few keys come back in every entry. */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS = 1_000;

function quoted(key: string): string {
  let text = quotedKeys.get(key);
  if (text === undefined) {
    text = JSON.stringify(key);
    if (quotedKeys.size < QUOTED_KEYS) quotedKeys.set(key, text);
  }
  return text;
}

function canonicalOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: numbers must be finite');
      return JSON.stringify(value);
    case 'object': {
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        const json = (value as { toJSON: () => unknown }).toJSON();
        if (json === undefined) throw new TypeError('canonicalJson: cannot serialise a undefined');
        return canonical(json);
      }
      if (Array.isArray(value)) {
        if (allStrings(value)) return JSON.stringify(value);
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonical(value[i]);
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      if (!ascending(keys)) keys.sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const item = record[key];
        if (item === undefined) continue;
        out += `${first ? '' : ','}${quoted(key)}:${canonical(item)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot serialise a ${typeof value}`);
  }
}

const sha256 = (...parts: string[]): string => {
  const hash = createHash('sha256');
  parts.forEach((part, i) => hash.update(i === 0 ? part : `\n${part}`));
  return hash.digest('hex');
};

/** The hash an entry is written with: SHA-256 (hex) of its canonical content, seq included. */
export function contentHash(content: object): string {
  return sha256(canonicalJson(content));
}

/** The hash of an entry chained at insert (before migration 013): over the previous entry's hash and the canonical content. */
export function entryHash(prevHash: string, content: object): string {
  return sha256(prevHash, canonicalJson(content));
}

/** A seal's chain hash: over the previous seal's chain hash and the sealed entry's hash. */
export function chainHash(prevChainHash: string, sealedEntryHash: string): string {
  return sha256(prevChainHash, sealedEntryHash);
}

/** What an entry's hash must be, recomputed from its stored content; rows chained at insert also carry their prevHash. */
export function expectedHash(seq: number, prevHash: string | null, entry: object): string {
  const content = { ...entry, seq };
  return prevHash === null ? contentHash(content) : entryHash(prevHash, content);
}

export interface Seal {
  sealSeq: number;
  auditSeq: number;
  entryHash: string;
  chainHash: string;
}

/** The seals that chain `entries`, in the order given, after `last` (null: the chain is empty). */
export function sealsAfter(last: { sealSeq: number; chainHash: string } | null, entries: ReadonlyArray<{ auditSeq: number; entryHash: string }>): Seal[] {
  let sealSeq = last?.sealSeq ?? 0;
  let prev = last?.chainHash ?? GENESIS_HASH;
  return entries.map(({ auditSeq, entryHash: hash }) => {
    prev = chainHash(prev, hash);
    sealSeq += 1;
    return { sealSeq, auditSeq, entryHash: hash, chainHash: prev };
  });
}

/** A place in the chain: a seal and its chain hash (seal 0: before the first, the genesis hash). */
export interface ChainPoint {
  sealSeq: number;
  chainHash: string;
}

/** One seal and the audit row it seals as stored now (null: the row is gone). */
export interface SealedRow extends Seal {
  row: { prevHash: string | null; hash: string; entry: object } | null;
}

/**
 * Checks seals one at a time in seal order, recomputing every entry's hash
 * from its content, so a caller can stream them from a cursor. Stops at the
 * first break.
 */
export class SealVerifier {
  private expected: number;
  private prev: string;
  private count = 0;
  private broken: { firstBrokenSeq: number; reason: string } | null = null;
  /** The chain broke where a seal's number was not the next: a seal deleted, repeated or moved. */
  sealGap = false;

  /** From the first seal, or right after a seal already verified, given the chain hash verify computed for it. */
  constructor(after: ChainPoint = { sealSeq: 0, chainHash: GENESIS_HASH }) {
    this.expected = after.sealSeq + 1;
    this.prev = after.chainHash;
  }

  /** The last seal verified and its chain hash: where a later walk takes over. */
  get last(): ChainPoint {
    return { sealSeq: this.expected - 1, chainHash: this.prev };
  }

  /** False once the chain is broken; further seals are ignored. */
  push(seal: SealedRow): boolean {
    if (this.broken) return false;
    const { sealSeq, auditSeq, row } = seal;
    if (sealSeq !== this.expected) {
      this.sealGap = true;
      return this.fail(auditSeq, `expected seal ${this.expected}, found seal ${sealSeq} (entry ${auditSeq}): seals deleted, repeated or out of order`);
    }
    if (row === null) return this.fail(auditSeq, `entry ${auditSeq}, sealed by seal ${sealSeq}, is missing: entry deleted`);
    if (expectedHash(auditSeq, row.prevHash, row.entry) !== seal.entryHash) {
      return this.fail(auditSeq, `content of entry ${auditSeq} does not match the hash sealed for it (seal ${sealSeq}): entry edited`);
    }
    if (row.hash !== seal.entryHash) return this.fail(auditSeq, `stored hash of entry ${auditSeq} differs from the hash sealed for it (seal ${sealSeq}): hash edited`);
    if (chainHash(this.prev, seal.entryHash) !== seal.chainHash) {
      return this.fail(auditSeq, `seal ${sealSeq} (entry ${auditSeq}) does not extend the seal before it: seals replaced, reordered or forked`);
    }
    this.prev = seal.chainHash;
    this.expected += 1;
    this.count += 1;
    return true;
  }

  result(): VerifyResult {
    return this.broken ? { ok: false, ...this.broken } : { ok: true, count: this.count };
  }

  private fail(firstBrokenSeq: number, reason: string): false {
    this.broken = { firstBrokenSeq, reason };
    return false;
  }
}

export function verifySeals(seals: Iterable<SealedRow>): VerifyResult {
  const verifier = new SealVerifier();
  for (const seal of seals) if (!verifier.push(seal)) break;
  return verifier.result();
}
