/**
 * Person linkage for data stewards: the review queue of uncertain matches,
 * decisions on it, and manual link and unlink of source records. Every
 * decision is stored and overrides the model on every later run.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { Type } from 'typebox';
import { Nullable, PageAfterId, PageLimit, PageNextId, PageNextKey, RowId } from '../../../schemas/common.js';
import { DEFAULT_BLOCKING_RULES } from '../../../matching/person/index.js';
import type { FastifyRequest } from 'fastify';
import { appendAudit, withAudit } from '../../audit/store.js';
import { loadPrepareTables, LinkageError } from '../../linkage/context.js';
import { decidePersonReview, manualLink, manualUnlink, type OnDecided, type StewardContext, type StewardResult } from '../../linkage/decisions.js';
import { isValidCitizenRef } from '../../linkage/reference.js';
import { closedAccounts } from '../../linkage/closed.js';
import { personReviewQueue } from '../../linkage/review.js';
import { decisionEntries, reviewReadEntries, stewardEntry, type StewardCaller } from '../../linkage/steward-audit.js';
import { errorResponses, HubError } from '../errors.js';
import { nextOf } from '../paging.js';
import { clientOf } from '../plugins/auth.js';

const CitizenRef = Type.String({ pattern: '^C[0-9]{10}$', description: "citizen reference: 'C', nine digits and a check digit" });
const System = Type.String({ pattern: '^[a-z][a-z0-9-]{1,39}$' });
const SourceRef = Type.String({ minLength: 1, maxLength: 200 });
const Reason = Type.String({ minLength: 1, maxLength: 1000, description: 'why, for the account history' });

const Person = Type.Object({
  forenames: Type.Array(Type.String()),
  surname: Type.String(),
  dob: Nullable(Type.String()),
  sex: Type.Optional(Nullable(Type.String())),
  nhsNumber: Type.Optional(Nullable(Type.String())),
  nino: Type.Optional(Nullable(Type.String())),
  uprn: Type.Optional(Nullable(Type.Integer())),
  postcode: Type.Optional(Nullable(Type.String())),
  street: Type.Optional(Nullable(Type.String())),
  houseNumber: Type.Optional(Nullable(Type.String())),
  town: Type.Optional(Nullable(Type.String())),
  phone: Type.Optional(Nullable(Type.String())),
  email: Type.Optional(Nullable(Type.String())),
  otherId: Type.Optional(Nullable(Type.String())),
});
const Side = Type.Object({ system: Type.String(), sourceRef: Type.String(), citizenRef: Nullable(Type.String()), person: Nullable(Person) });
const FieldWeight = Type.Object({
  field: Type.String(),
  level: Nullable(Type.String({ description: 'how the field compared; null when a side had no value' })),
  baseWeight: Type.Number(),
  tfAdjustment: Type.Number({ description: 'term-frequency adjustment: a common name agrees less' }),
  weight: Type.Number(),
});
const ReviewItem = Type.Object({
  id: Type.Integer(),
  record: Side,
  candidate: Side,
  candidateCitizenRef: Type.String(),
  weight: Type.Number({ description: 'match weight, log2 odds that they are the same person' }),
  fields: Type.Array(FieldWeight),
  modelDecision: Type.Union([Type.Literal('link'), Type.Literal('review'), Type.Literal('distinct')]),
  reason: Type.String(),
  modelVersion: Nullable(Type.Integer()),
  createdAt: Type.String(),
});
const LinkResult = Type.Object({
  citizenRef: Type.String({ description: 'the account the record is in afterwards' }), system: Type.String(), sourceRef: Type.String(),
  unchanged: Type.Optional(Type.Literal(true, { description: 'the record was in that account already: nothing moved, no history was written and no event is published' })),
});

function checked(ref: string): string {
  const rule = 'is not a citizen reference (its check digit does not match)';
  // Named as the schema's refusals name a parameter, so that a client tells which part of the request to correct.
  if (!isValidCitizenRef(ref)) throw new HubError('bad-request', `ref ${rule}`, [{ path: 'params.ref', message: rule }]);
  return ref;
}

const callerOf = (request: FastifyRequest): StewardCaller => ({ client: clientOf(request), requestId: String(request.id), at: new Date() });

/** Records a manual link or unlink about the record's account before and after, in the decision's transaction. */
const auditedAs = (caller: StewardCaller, action: string, system: string, sourceRef: string, reason: string): OnDecided =>
  (db, r: StewardResult) => appendAudit(db, decisionEntries(caller, action, [r.from, r.citizenRef], { system, sourceRef, from: r.from, to: r.citizenRef, reason }));

async function steward<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof LinkageError) throw new HubError(error.code, error.message);
    throw error;
  }
}

const people: FastifyPluginAsyncTypebox<{ pool: pg.Pool; nicknamesFile?: string | null }> = async (app, opts) => {
  const ctx: StewardContext = { pool: opts.pool, tables: await loadPrepareTables(opts.nicknamesFile ?? null), rules: DEFAULT_BLOCKING_RULES };
  const ROLES = ['steward', 'admin'] as const;

  app.get('/v1/review/people', {
    config: { roles: ROLES },
    schema: {
      tags: ['person linkage'],
      summary: 'Uncertain person matches waiting for a steward, oldest first: both records side by side, per-field weights, the model decision',
      querystring: Type.Object({ after: PageAfterId, limit: PageLimit }),
      response: { 200: Type.Object({ items: Type.Array(ReviewItem), next: PageNextId }), ...errorResponses },
    },
  }, async (request) => {
    const caller = callerOf(request);
    const items = await withAudit(opts.pool, async (db) => {
      const page = await personReviewQueue(db, request.query.after, request.query.limit);
      return { result: page, entries: reviewReadEntries(caller, page) };
    });
    return { items, ...nextOf(items, request.query.limit, (i) => i.id) };
  });

  const ClosedAccount = Type.Object({
    citizenRef: Type.String(),
    closedAt: Type.String({ format: 'date-time' }),
    lastRecordWentTo: Nullable(Type.String({ description: 'the account its last record went to, as it is now' })),
    open: Type.Object({ consents: Type.Integer(), objections: Type.Integer(), restrictions: Type.Integer() }, {
      description: 'its register records not withdrawn or lifted, under its reference or one merged into it',
    }),
  });

  app.get('/v1/review/closed-accounts', {
    config: { roles: [...ROLES, 'dpo'] },
    schema: {
      tags: ['person linkage'],
      summary: 'Accounts closed because their records went to more than one person while they held consents, objections or restrictions: '
        + 'whose those are, a steward and the DPO settle (by the register routes of each account). In reference order.',
      querystring: Type.Object({
        after: Type.String({ pattern: '^(C[0-9]{10})?$', default: '', description: 'the last reference of the previous page' }),
        limit: PageLimit,
      }),
      response: { 200: Type.Object({ accounts: Type.Array(ClosedAccount), next: PageNextKey }), ...errorResponses },
    },
  }, async (request) => {
    const caller = callerOf(request);
    const accounts = await withAudit(opts.pool, async (db) => {
      const page = await closedAccounts(db, request.query.after, request.query.limit);
      const fields = ['citizenRef', 'closedAt', 'lastRecordWentTo', 'open'];
      return { result: page, entries: page.map((a) => stewardEntry(caller, 'linkage.closed.read', a.citizenRef, { categories: [], fields }, {})) };
    });
    return { accounts, ...nextOf(accounts, request.query.limit, (a) => a.citizenRef) };
  });

  app.post('/v1/review/people/:id', {
    config: { roles: ROLES },
    schema: {
      tags: ['person linkage'],
      summary: "A steward's decision: link the record to the candidate citizen, or they are not the same person. Overrides the model from then on.",
      params: Type.Object({ id: RowId({ minimum: 1 }) }),
      body: Type.Object({ decision: Type.Union([Type.Literal('link'), Type.Literal('distinct')]), reason: Type.Optional(Reason) }, { additionalProperties: false }),
      response: { 200: Type.Object({ id: Type.Integer(), decision: Type.String(), citizenRef: Type.String() }), ...errorResponses },
    },
  }, async (request) => {
    const client = clientOf(request);
    const { decision } = request.body;
    const reason = request.body.reason ?? `review decision: ${decision}`;
    const caller = callerOf(request);
    const result = await steward(() => decidePersonReview(ctx, request.params.id, decision, { clientId: client.id, reason }, (db, r) => appendAudit(db, decisionEntries(
      caller, 'linkage.review.decide', [r.from, r.candidate, r.citizenRef],
      { reviewId: request.params.id, decision, system: r.system, sourceRef: r.sourceRef, candidate: r.candidate, from: r.from, to: r.citizenRef, reason },
    ))));
    return { id: request.params.id, decision, citizenRef: result.citizenRef };
  });

  app.post('/v1/citizens/:ref/links', {
    config: { roles: ROLES, auditRefusalAs: 'linkage.link' },
    schema: {
      tags: ['person linkage'],
      summary: 'Link a source record to a citizen by hand (a merged reference links to its survivor)',
      description: 'A record already in that account stays as it is (`unchanged: true`): no history, no event; the decision is kept, so the model never moves it.',
      params: Type.Object({ ref: CitizenRef }),
      body: Type.Object({ system: System, sourceRef: SourceRef, reason: Type.Optional(Reason) }, { additionalProperties: false }),
      response: { 200: LinkResult, ...errorResponses },
    },
  }, async (request) => {
    const caller = callerOf(request);
    const { system, sourceRef } = request.body;
    const reason = request.body.reason ?? 'manual link';
    const result = await steward(() => manualLink(ctx, checked(request.params.ref), system, sourceRef, { clientId: caller.client.id, reason },
      auditedAs(caller, 'linkage.link', system, sourceRef, reason)));
    return { citizenRef: result.citizenRef, system, sourceRef, ...(result.unchanged ? { unchanged: true as const } : {}) };
  });

  app.delete('/v1/citizens/:ref/links/:system/:sourceRef', {
    config: { roles: ROLES, auditRefusalAs: 'linkage.unlink' },
    schema: {
      tags: ['person linkage'],
      summary: 'Unlink a source record from a citizen by hand: the record starts an account of its own and is never linked back by the model',
      params: Type.Object({ ref: CitizenRef, system: System, sourceRef: SourceRef }),
      querystring: Type.Object({ reason: Type.Optional(Reason) }),
      response: { 200: LinkResult, ...errorResponses },
    },
  }, async (request) => {
    const caller = callerOf(request);
    const { ref, system, sourceRef } = request.params;
    const reason = request.query.reason ?? 'manual unlink';
    const result = await steward(() => manualUnlink(ctx, checked(ref), system, sourceRef, { clientId: caller.client.id, reason },
      auditedAs(caller, 'linkage.unlink', system, sourceRef, reason)));
    return { citizenRef: result.citizenRef, system, sourceRef };
  });
};
export default people;
