/**
 * The audit trail for DPOs: verify the hash chain, and query disclosures.
 * The plugin also runs the sealer that chains committed entries (every
 * `sealIntervalMs`, default 150 ms; 0: none), for as long as the app runs.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { Type } from 'typebox';
import { CLIENT_ID_OR_KEY_ID, clientIdOf } from '../../auth/clients.js';
import { REVIEW_OUTCOMES, ReviewError, reviewEntries, reviewsOf } from '../../audit/review.js';
import { AuditSealer, disclosures, periodProblem, verifyAudit, VERIFY_STEP, withAudit, type DisclosureFilters, type StoredAuditEntry } from '../../audit/store.js';
import { CITIZEN_REF_PATTERN, citizenFilter, citizenRefProblem, DECISIONS, disclosuresListEntry } from '../../audit/listing.js';
import { londonDate } from '../../policy/decide.js';
import { oversightEntry } from '../../register/change-entry.js';
import { clientOf } from '../plugins/auth.js';
import { COUNCIL_ORG_KIND } from '../../../schemas/register.js';
import type { CitizenSource } from '../../citizens/source.js';
import { PageNextId } from '../../../schemas/common.js';
import { errorResponses, HubError } from '../errors.js';
import { nextOf } from '../paging.js';

const Review = Type.Object({
  seq: Type.Integer(), reviewedAt: Type.String({ format: 'date-time' }), clientId: Type.Integer({ description: "the reviewing DPO's client" }),
  outcome: Type.Enum(REVIEW_OUTCOMES), note: Type.String(),
}, { description: "a break-glass entry's review by a DPO (once; final)" });

const Entry = Type.Object({
  seq: Type.Integer(), hash: Type.Optional(Type.String({ description: "absent for a partner's DPO: it covers what is left out, which it could be guessed back from" })), at: Type.String(), requestId: Type.String(), action: Type.String(),
  clientId: Type.Integer(), orgId: Type.Integer(), role: Type.String(), purpose: Type.String(), citizenRef: Type.Union([Type.String(), Type.Null()]),
  agreements: Type.Array(Type.Object({ id: Type.String(), version: Type.Integer() })), consentIds: Type.Array(Type.String()),
  categoriesDisclosed: Type.Array(Type.String()), categoriesDenied: Type.Array(Type.String()), fieldsDisclosed: Type.Array(Type.String()),
  householdRefs: Type.Optional(Type.Array(Type.String(), { description: 'the household members the disclosed view named (reference and name)' })),
  decision: Type.String(), reasons: Type.Record(Type.String(), Type.String()), policyVersion: Type.String(),
  breakGlassReason: Type.Union([Type.String(), Type.Null()]), reviewRequired: Type.Boolean(),
  detail: Type.Optional(Type.Unknown({ description: "a register change: the record before and after; a steward's work: the review items, records and decision" })),
  review: Type.Optional(Review),
});

/** Ids and seqs are bigint columns; a larger number would fail in PostgreSQL, not here. */
const Id = (options: { minimum: number; default?: number; description?: string }) => Type.Integer({ maximum: Number.MAX_SAFE_INTEGER, ...options });

/**
 * PostgreSQL's refusals of a date-time the schema's format lets through
 * (year 0000, an offset beyond 15:59): the caller's to correct, not a failure.
 */
const DATE_TIME_REFUSED = new Set(['22007', '22008', '22009']);

/**
 * An entry as a partner's DPO sees it: what was disclosed to its organisation,
 * not why the rest was not. Reasons and consent ids name the citizen's
 * consents, objections and restrictions, which the partner was never shown;
 * a refusal's citizen is a person hidden from it. The hash covers them: their
 * register ids are sequential, so they could be guessed back from it.
 */
function asDisclosedTo({ hash: _hash, ...entry }: StoredAuditEntry): Omit<StoredAuditEntry, 'hash'> {
  return { ...entry, reasons: {}, consentIds: [], citizenRef: entry.decision === 'deny' ? null : entry.citizenRef };
}

export interface AuditRouteOptions {
  pool: pg.Pool;
  /** Finds a merged reference's survivor and the references merged into a citizen, whose entries are the citizen's too. */
  source?: Pick<CitizenSource, 'view' | 'mergedInto' | 'linkedRecords'>;
  sealIntervalMs?: number;
}

const audit: FastifyPluginAsyncTypebox<AuditRouteOptions> = async (app, { pool, source, sealIntervalMs = 150 }) => {
  if (sealIntervalMs > 0) {
    const sealer = new AuditSealer(pool, (err) => app.log.error({ err }, 'audit sealing failed; the next pass tries again'), sealIntervalMs);
    app.addHook('onReady', async () => void sealer.start());
    app.addHook('onClose', () => sealer.stop());
  }

  app.get('/v1/audit/verify', {
    config: { roles: ['dpo', 'admin'] },
    schema: {
      tags: ['audit'],
      summary: 'Seal what has committed, then check the hash chain of the audit trail; names the first broken or unsealed entry',
      description: 'Checks at most `limit` seals a call. A call that stops short, intact so far, answers `next`: call again with its '
        + '`sealSeq` as `after` and its `chainHash` to go on. The trail is intact when a call answers ok without `next`.',
      querystring: Type.Object({
        after: Id({ minimum: 0, default: 0, description: 'go on after this seal (the sealSeq of the last call\'s next)' }),
        chainHash: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$', description: 'the chainHash of the last call\'s next; required with after' })),
        limit: Type.Integer({ minimum: 1, maximum: VERIFY_STEP, default: VERIFY_STEP, description: 'seals to check in this call' }),
      }),
      response: {
        200: Type.Object({
          ok: Type.Boolean(), count: Type.Optional(Type.Integer({ description: 'entries checked by this call' })),
          firstBrokenSeq: Type.Optional(Type.Integer()), reason: Type.Optional(Type.String()),
          pending: Type.Integer({ description: 'entries committed since the seal pass, too recent to be sealed (not a finding); counted by the call that reaches the end' }),
          next: Type.Optional(Type.Object({ sealSeq: Type.Integer(), chainHash: Type.String() }, { description: 'where to go on; absent when this call reached the end' })),
        }),
        ...errorResponses,
      },
    },
  }, async (request) => {
    const { after, chainHash, limit } = request.query;
    if (after > 0 && chainHash === undefined) throw new HubError('bad-request', 'after needs the chainHash of the same next');
    return verifyAudit(pool, { after: after > 0 ? { sealSeq: after, chainHash: chainHash! } : undefined, maxSeals: limit });
  });

  app.get('/v1/audit/disclosures', {
    config: { roles: ['dpo'], partnerOversight: true },
    schema: {
      tags: ['audit'], summary: 'Disclosures and denials by citizen, organisation, client, purpose and period, oldest first (DPO; each listing audited)',
      description: 'Each listing is itself audited (action `audit.disclosures.list`, purpose `data-protection-oversight`, the filters and the number '
        + 'of entries in `detail`): about the citizen when filtered by `citizen`, so that the person\'s subject access shows it, otherwise about no one. '
        + 'Filters combine (all must hold); a parameter the route does not take is refused (400). `client` is the numeric client id the entries record or the client\'s key id. '
        + '`citizen` lists the entries recorded under the person\'s current reference and under the references '
        + 'merged into it, as subject access does: what was disclosed under an old reference was disclosed about the same person; '
        + 'and the entries of stewards\' work naming one of the citizen\'s source records, made before the record was linked. An old (merged) reference '
        + 'lists the same entries as its survivor, and the listing is recorded about the survivor. `decision=deny` lists the refusals. '
        + 'A DPO key of a partner organisation lists the entries of its own organisation only (`org` another one: 403), with `reasons` and '
        + '`consentIds` empty (they name the citizen\'s register records), without `review` and `hash` (which covers them), refusals without '
        + 'their citizen, one for a request that disclosed nothing and none with `citizen`, which is taken as the reference given.',
      querystring: Type.Object({
        citizen: Type.Optional(Type.String({
          pattern: CITIZEN_REF_PATTERN, description: 'a citizen reference (C, nine digits, check digit): the person\'s entries under every reference they had',
        })),
        org: Type.Optional(Id({ minimum: 1 })),
        client: Type.Optional(Type.String({
          pattern: CLIENT_ID_OR_KEY_ID, description: 'the client id the entries record, or a key id (16 hex characters) as `hub clients list` shows it',
        })),
        purpose: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        from: Type.Optional(Type.String({ format: 'date-time' })),
        to: Type.Optional(Type.String({ format: 'date-time' })),
        reviewRequired: Type.Optional(Type.Boolean({ description: 'true: break-glass use (flagged for review); with reviewed=false, what still waits for review' })),
        reviewed: Type.Optional(Type.Boolean({ description: 'reviewed by a DPO (POST /v1/audit/reviews) or not' })),
        action: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9.-]{0,63}$', description: 'e.g. citizen.read, addresses.review.read, register.consent.create' })),
        decision: Type.Optional(Type.Enum(DECISIONS, { description: 'the entry\'s decision: deny lists the refusals' })),
        after: Id({ minimum: 0, default: 0, description: 'page on: the last seq seen' }),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
      }),
      response: { 200: Type.Object({ entries: Type.Array(Entry), next: PageNextId }), ...errorResponses },
    },
  }, async (request) => {
    const q = request.query;
    const caller = clientOf(request);
    const partner = caller.orgKind !== COUNCIL_ORG_KIND;
    if (partner && q.org !== undefined && q.org !== caller.orgId) {
      throw new HubError('forbidden', `A partner organisation's DPO lists the disclosures made to its own organisation only (org ${caller.orgId})`);
    }
    const citizenProblem = q.citizen === undefined ? null : citizenRefProblem(q.citizen);
    if (citizenProblem) throw new HubError('bad-request', `citizen ${citizenProblem}`, [{ path: 'querystring.citizen', message: citizenProblem }]);
    const { client, ...rest } = q;
    const filters: DisclosureFilters = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    if (partner) Object.assign(filters, { org: caller.orgId, partner: true });
    const problem = periodProblem(filters);
    if (problem) throw new HubError('bad-request', problem);
    if (client !== undefined) {
      const id = await clientIdOf(pool, client);
      if (id === null) throw new HubError('not-found', `no client has key id ${client}`);
      filters.client = id;
    }
    // A partner's DPO is not told which references the council merged: the reference given is the one listed.
    if (q.citizen !== undefined) Object.assign(filters, source && !partner ? await citizenFilter(source, q.citizen, londonDate(new Date())) : { citizen: [q.citizen] });
    try {
      // The listing is recorded in its own transaction: filtered by citizen, as a read about that citizen (src/audit/listing.ts).
      return await withAudit(pool, async (db) => {
        const entries = await disclosures(db, filters);
        const reviews = partner ? new Map() : await reviewsOf(db, entries.filter((e) => e.reviewRequired).map((e) => e.seq));
        return {
          result: {
            entries: entries.map((e) => (partner ? asDisclosedTo(e) : reviews.has(e.seq) ? { ...e, review: reviews.get(e.seq)! } : e)),
            ...nextOf(entries, q.limit, (e) => e.seq),
          },
          entries: [disclosuresListEntry(caller, String(request.id), new Date(), filters, entries.length)],
        };
      });
    } catch (error) {
      if (DATE_TIME_REFUSED.has((error as { code?: string }).code ?? '')) {
        throw new HubError('bad-request', 'from and to must be date-times from year 1 on, with an offset of at most 15:59');
      }
      throw error;
    }
  });

  app.post('/v1/audit/reviews', {
    config: { roles: ['dpo'] },
    schema: {
      tags: ['audit'], summary: 'Review break-glass use: entries flagged for review, as justified or not, with a note (DPO; once per entry, final)',
      description: 'The entries waiting are `GET /v1/audit/disclosures?reviewRequired=true&reviewed=false`. Each review is recorded as an audit entry '
        + '(action audit.review) about the citizen of each entry reviewed. Every entry must exist, be flagged and not be reviewed yet, or nothing is recorded.',
      body: Type.Object({
        seqs: Type.Array(Id({ minimum: 1 }), { minItems: 1, maxItems: 500, uniqueItems: true }),
        outcome: Type.Enum(REVIEW_OUTCOMES),
        note: Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S', description: 'what the review found' }),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ reviews: Type.Array(Review) }), ...errorResponses },
    },
  }, async (request) => {
    const client = clientOf(request);
    const { seqs, outcome, note } = request.body;
    try {
      const reviews = await withAudit(pool, async (db) => {
        const done = await reviewEntries(db, seqs, { clientId: client.id, outcome, note: note.trim() });
        const detail = { seqs: done.reviews.map((r) => r.seq), outcome };
        const about = done.citizenRefs.length > 0 ? done.citizenRefs : [null];
        return { result: done.reviews, entries: about.map((ref) => oversightEntry(client, String(request.id), new Date(), 'audit.review', ref, detail)) };
      });
      return { reviews };
    } catch (error) {
      if (error instanceof ReviewError) throw new HubError(error.code, error.message);
      throw error;
    }
  });
};
export default audit;
