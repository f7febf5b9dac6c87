import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson, chainHash, contentHash, entryHash, expectedHash, GENESIS_HASH, SealVerifier, sealsAfter, verifySeals, type AuditEntry, type SealedRow,
} from '../../../src/audit/chain.js';

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

/** n entries sealed in seq order, as verify reads them back. */
function sealedOf(n: number): SealedRow[] {
  const rows = Array.from({ length: n }, (_, i) => ({ seq: i + 1, entry: entry(i + 1) }));
  const seals = sealsAfter(null, rows.map((r) => ({ auditSeq: r.seq, entryHash: contentHash({ ...r.entry, seq: r.seq }) })));
  return seals.map((seal, i) => ({ ...seal, row: { prevHash: null, hash: seal.entryHash, entry: rows[i]!.entry } }));
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

  it('writes frozen values as unfrozen ones, and follows whatever inside them can still change', () => {
    const fixed = Object.freeze({ b: Object.freeze(['x', 'y']), a: Object.freeze({ d: 2, c: null }) });
    const loose = { b: ['x', 'y'], a: { d: 2, c: null } };
    expect(canonicalJson(fixed)).toBe(canonicalJson(loose));
    expect(canonicalJson({ entry: fixed })).toBe('{"entry":{"a":{"c":null,"d":2},"b":["x","y"]}}');
    const inner = { n: 1 };
    const shell = Object.freeze({ inner });
    expect(canonicalJson(shell)).toBe('{"inner":{"n":1}}');
    inner.n = 2;
    expect(canonicalJson(shell)).toBe('{"inner":{"n":2}}');
    const when = Object.freeze({ at: new Date('2026-06-15T10:00:00Z') });
    expect(canonicalJson(when)).toBe('{"at":"2026-06-15T10:00:00.000Z"}');
    when.at.setTime(Date.parse('2026-06-16T10:00:00Z'));
    expect(canonicalJson(when)).toBe('{"at":"2026-06-16T10:00:00.000Z"}');
  });
});

describe('hashes', () => {
  it('hashes an entry over its canonical content, and a seal over the previous chain hash and the entry hash', () => {
    expect(contentHash({ seq: 1, a: 1 })).toBe(createHash('sha256').update('{"a":1,"seq":1}').digest('hex'));
    expect(chainHash(GENESIS_HASH, 'ab')).toBe(createHash('sha256').update(`${GENESIS_HASH}\nab`).digest('hex'));
  });

  it('recomputes an entry chained at insert (before sealing) over its prevHash', () => {
    const legacy = entryHash(GENESIS_HASH, { ...entry(1), seq: 1 });
    expect(legacy).toBe(createHash('sha256').update(`${GENESIS_HASH}\n${canonicalJson({ ...entry(1), seq: 1 })}`).digest('hex'));
    expect(expectedHash(1, GENESIS_HASH, entry(1))).toBe(legacy);
    expect(expectedHash(1, null, entry(1))).toBe(contentHash({ ...entry(1), seq: 1 }));
  });

  it('chains seals one after another from the head', () => {
    const [first, second] = sealsAfter(null, [{ auditSeq: 9, entryHash: 'a' }, { auditSeq: 4, entryHash: 'b' }]);
    expect(first).toEqual({ sealSeq: 1, auditSeq: 9, entryHash: 'a', chainHash: chainHash(GENESIS_HASH, 'a') });
    expect(second).toEqual({ sealSeq: 2, auditSeq: 4, entryHash: 'b', chainHash: chainHash(first!.chainHash, 'b') });
    expect(sealsAfter({ sealSeq: 2, chainHash: second!.chainHash }, [{ auditSeq: 5, entryHash: 'c' }])[0]).toMatchObject({ sealSeq: 3 });
  });

  it('gives the same hash whatever the key order of the stored entry (jsonb)', () => {
    const [first] = sealedOf(1);
    const reordered = Object.fromEntries(Object.entries(first!.row!.entry).reverse());
    expect(verifySeals([{ ...first!, row: { ...first!.row!, entry: reordered } }])).toEqual({ ok: true, count: 1 });
  });
});

describe('verifySeals', () => {
  it('accepts a good chain and an empty one, whatever the order of entry seqs', () => {
    expect(verifySeals(sealedOf(5))).toEqual({ ok: true, count: 5 });
    expect(verifySeals([])).toEqual({ ok: true, count: 0 });
    const rows = [3, 1, 2].map((seq) => ({ seq, entry: entry(seq) }));
    const seals = sealsAfter(null, rows.map((r) => ({ auditSeq: r.seq, entryHash: contentHash({ ...r.entry, seq: r.seq }) })));
    expect(verifySeals(seals.map((seal, i) => ({ ...seal, row: { prevHash: null, hash: seal.entryHash, entry: rows[i]!.entry } })))).toEqual({ ok: true, count: 3 });
  });

  it('detects an edited entry by its seq', () => {
    const sealed = sealedOf(5);
    sealed[2] = { ...sealed[2]!, row: { ...sealed[2]!.row!, entry: { ...entry(3), categoriesDisclosed: ['identity', 'contact', 'health-disability'] } } };
    expect(verifySeals(sealed)).toEqual({ ok: false, firstBrokenSeq: 3, reason: expect.stringMatching(/entry edited/) });
  });

  it('detects an edited entry whose stored hash was recomputed, against the sealed hash', () => {
    const sealed = sealedOf(5);
    const edited = { ...entry(3), purpose: 'safeguarding' };
    sealed[2] = { ...sealed[2]!, row: { prevHash: null, hash: contentHash({ ...edited, seq: 3 }), entry: edited } };
    expect(verifySeals(sealed)).toMatchObject({ ok: false, firstBrokenSeq: 3, reason: expect.stringMatching(/entry edited/) });
  });

  it('detects a re-sealed edit at the next seal', () => {
    const sealed = sealedOf(5);
    const edited = { ...entry(3), purpose: 'safeguarding' };
    const [reseal] = sealsAfter({ sealSeq: 2, chainHash: sealed[1]!.chainHash }, [{ auditSeq: 3, entryHash: contentHash({ ...edited, seq: 3 }) }]);
    sealed[2] = { ...reseal!, row: { prevHash: null, hash: reseal!.entryHash, entry: edited } };
    expect(verifySeals(sealed)).toMatchObject({ ok: false, firstBrokenSeq: 4, reason: expect.stringMatching(/does not extend/) });
  });

  it('detects a deleted entry and a deleted seal', () => {
    const sealed = sealedOf(5);
    sealed[2] = { ...sealed[2]!, row: null };
    expect(verifySeals(sealed)).toMatchObject({ ok: false, firstBrokenSeq: 3, reason: expect.stringMatching(/missing/) });
    const gap = sealedOf(5);
    gap.splice(2, 1);
    expect(verifySeals(gap)).toMatchObject({ ok: false, firstBrokenSeq: 4, reason: expect.stringMatching(/expected seal 3, found seal 4/) });
    expect(verifySeals(sealedOf(3).slice(1))).toMatchObject({ ok: false, firstBrokenSeq: 2 });
  });

  it('detects reordered seals and a fork', () => {
    const sealed = sealedOf(5);
    [sealed[1], sealed[2]] = [sealed[2]!, sealed[1]!];
    expect(verifySeals(sealed)).toMatchObject({ ok: false, firstBrokenSeq: 3 });
    const forked = sealedOf(4);
    const [fork] = sealsAfter({ sealSeq: 3, chainHash: forked[1]!.chainHash }, [{ auditSeq: 4, entryHash: forked[3]!.entryHash }]);
    forked[3] = { ...fork!, row: forked[3]!.row };
    expect(verifySeals(forked)).toMatchObject({ ok: false, firstBrokenSeq: 4, reason: expect.stringMatching(/forked/) });
  });

  it('streams: ignores seals after the first break', () => {
    const sealed = sealedOf(4);
    const verifier = new SealVerifier();
    expect(verifier.push(sealed[0]!)).toBe(true);
    expect(verifier.push(sealed[2]!)).toBe(false);
    expect(verifier.push(sealed[1]!)).toBe(false);
    expect(verifier.result()).toMatchObject({ ok: false, firstBrokenSeq: 3 });
  });

  it('reasons name sequence numbers, never the entry content', () => {
    const sealed = sealedOf(3);
    sealed[1] = { ...sealed[1]!, row: { ...sealed[1]!.row!, entry: { ...entry(2), citizenRef: 'CH-9999-9999' } } };
    const result = verifySeals(sealed);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).not.toMatch(/CH-/);
  });
});
