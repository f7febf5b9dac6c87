import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, chainEntry, ChainVerifier, entryHash, GENESIS_HASH, verifyChain, type AuditEntry, type ChainedEntry } from '../../../src/audit/chain.js';

function entry(i: number): AuditEntry {
  return {
    at: new Date(Date.UTC(2026, 5, 15, 10, 0, i)).toISOString(),
    requestId: `req-${i}`,
    action: 'citizen.read',
    clientId: 7,
    orgId: 1,
    role: 'adviser',
    purpose: 'contact-centre-enquiry',
    citizenRef: `CH-0000-${String(i).padStart(4, '0')}`,
    agreements: [{ id: 'ISA-INTERNAL-1', version: 1 }],
    consentIds: [],
    categoriesDisclosed: ['identity', 'contact'],
    categoriesDenied: ['revenues'],
    fieldsDisclosed: ['identity.name.surname', 'contact[].contact.value'],
    decision: 'partial',
    reasons: { revenues: 'no sharing agreement in force permits revenues' },
    policyVersion: '1.0.0',
    breakGlassReason: null,
    reviewRequired: false,
  };
}

function chainOf(n: number): ChainedEntry[] {
  const chain: ChainedEntry[] = [];
  for (let i = 1; i <= n; i++) chain.push(chainEntry(chain.at(-1) ?? null, entry(i)));
  return chain;
}

describe('canonicalJson', () => {
  it('orders keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1], c: null } })).toBe('{"a":{"c":null,"d":[3,1]},"b":1}');
    expect(canonicalJson({ a: { c: null, d: [3, 1] }, b: 1 })).toBe(canonicalJson({ b: 1, a: { d: [3, 1], c: null } }));
  });

  it('drops undefined properties and writes dates as ISO text', () => {
    expect(canonicalJson({ a: undefined, at: new Date('2026-06-15T10:00:00Z') })).toBe('{"at":"2026-06-15T10:00:00.000Z"}');
  });

  it('refuses values JSON cannot carry', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/finite/);
    expect(() => canonicalJson({ n: 1n })).toThrow(/bigint/);
  });
});

describe('entryHash and chainEntry', () => {
  it('is SHA-256 over the previous hash and the canonical content', () => {
    const expected = createHash('sha256').update(`${GENESIS_HASH}\n{"a":1,"seq":1}`).digest('hex');
    expect(entryHash(GENESIS_HASH, { seq: 1, a: 1 })).toBe(expected);
  });

  it('links each entry to the one before', () => {
    const [first, second] = chainOf(2);
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
    expect(second).toMatchObject({ seq: 2, prevHash: first!.hash });
    expect(second!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same hash whatever the key order of the stored entry (jsonb)', () => {
    const [first] = chainOf(1);
    const reordered = Object.fromEntries(Object.entries(first!).reverse()) as ChainedEntry;
    expect(verifyChain([reordered])).toEqual({ ok: true, count: 1 });
  });
});

describe('verifyChain', () => {
  it('accepts a good chain and an empty one', () => {
    expect(verifyChain(chainOf(5))).toEqual({ ok: true, count: 5 });
    expect(verifyChain([])).toEqual({ ok: true, count: 0 });
  });

  it('detects an edited entry', () => {
    const chain = chainOf(5);
    chain[2] = { ...chain[2]!, categoriesDisclosed: ['identity', 'contact', 'health-disability'] };
    expect(verifyChain(chain)).toEqual({ ok: false, firstBrokenSeq: 3, reason: expect.stringMatching(/entry edited/) });
  });

  it('detects an edited entry whose hash was recomputed, at the next link', () => {
    const chain = chainOf(5);
    const { seq: _seq, prevHash: _prev, hash: _hash, ...content } = chain[2]!;
    chain[2] = chainEntry(chain[1]!, { ...content, purpose: 'safeguarding' });
    expect(verifyChain(chain)).toMatchObject({ ok: false, firstBrokenSeq: 4, reason: expect.stringMatching(/prevHash/) });
  });

  it('detects a deleted entry by the seq gap', () => {
    const chain = chainOf(5);
    chain.splice(2, 1);
    expect(verifyChain(chain)).toMatchObject({ ok: false, firstBrokenSeq: 3, reason: expect.stringMatching(/expected seq 3, found 4/) });
  });

  it('detects a deleted first entry', () => {
    expect(verifyChain(chainOf(3).slice(1))).toMatchObject({ ok: false, firstBrokenSeq: 1 });
  });

  it('detects reordered entries', () => {
    const chain = chainOf(5);
    [chain[1], chain[2]] = [chain[2]!, chain[1]!];
    expect(verifyChain(chain)).toMatchObject({ ok: false, firstBrokenSeq: 2 });
  });

  it('detects reordered contents renumbered to keep seq in order', () => {
    const chain = chainOf(5);
    const second = chain[1]!;
    const third = chain[2]!;
    chain[1] = { ...third, seq: 2 };
    chain[2] = { ...second, seq: 3 };
    expect(verifyChain(chain)).toMatchObject({ ok: false, firstBrokenSeq: 2 });
  });

  it('detects a fork: an entry chained to an older one', () => {
    const chain = chainOf(4);
    const fork = chainEntry(chain[1]!, entry(99));
    chain[3] = { ...fork, seq: 4, hash: entryHash(fork.prevHash, { ...entry(99), seq: 4 }) };
    expect(verifyChain(chain)).toMatchObject({ ok: false, firstBrokenSeq: 4, reason: expect.stringMatching(/forked/) });
  });

  it('verifies a tail from an anchor', () => {
    const chain = chainOf(6);
    expect(verifyChain(chain.slice(3), { anchor: chain[2]! })).toEqual({ ok: true, count: 3 });
    expect(verifyChain(chain.slice(3), { anchor: chain[1]! })).toMatchObject({ ok: false, firstBrokenSeq: 3 });
  });

  it('detects entries cut off the end, or a rewritten chain, against a checkpoint', () => {
    const chain = chainOf(5);
    const checkpoint = { seq: 4, hash: chain[3]!.hash };
    expect(verifyChain(chain, { checkpoint })).toEqual({ ok: true, count: 5 });
    expect(verifyChain(chain.slice(0, 3), { checkpoint })).toMatchObject({ ok: false, firstBrokenSeq: 4, reason: expect.stringMatching(/deleted at the end/) });

    const rewritten: ChainedEntry[] = [];
    for (let i = 1; i <= 5; i++) rewritten.push(chainEntry(rewritten.at(-1) ?? null, { ...entry(i), purpose: 'fraud-prevention' }));
    expect(verifyChain(rewritten)).toEqual({ ok: true, count: 5 });
    expect(verifyChain(rewritten, { checkpoint })).toMatchObject({ ok: false, firstBrokenSeq: 4, reason: expect.stringMatching(/checkpoint/) });
  });

  it('streams: ignores links after the first break', () => {
    const chain = chainOf(4);
    const verifier = new ChainVerifier();
    expect(verifier.push(chain[0]!)).toBe(true);
    expect(verifier.push(chain[2]!)).toBe(false);
    expect(verifier.push(chain[1]!)).toBe(false);
    expect(verifier.result()).toMatchObject({ ok: false, firstBrokenSeq: 2 });
  });

  it('reasons name sequence numbers, never the entry content', () => {
    const chain = chainOf(3);
    chain[1] = { ...chain[1]!, citizenRef: 'CH-9999-9999' };
    const result = verifyChain(chain);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).not.toMatch(/CH-/);
  });
});
