/** Matching one address to a UPRN, and the stewards' review queue of uncertain matches. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { Type } from 'typebox';
import { Nullable, PageAfterId, PageLimit, PageNextId, RowId, UprnText } from '../../../schemas/common.js';
import type { FastifyRequest } from 'fastify';
import type { AddressMatcher } from '../../addresses/matcher.js';
import { decideReview, reviewRecords, ReviewError } from '../../addresses/records.js';
import { addressDecisionEntries, addressReviewReadEntries } from '../../addresses/review-audit.js';
import * as sql from '../../addresses/sql.js';
import { appendAudit, withAudit } from '../../audit/store.js';
import type { StewardCaller } from '../../linkage/steward-audit.js';
import { errorResponses, HubError } from '../errors.js';
import { nextOf } from '../paging.js';
import { clientOf } from '../plugins/auth.js';

const Status = Type.Union([Type.Literal('matched'), Type.Literal('review'), Type.Literal('unmatched')]);
const Candidate = Type.Object({
  uprn: Type.Integer(), score: Type.Number(), address: Type.String(), lpiKey: Type.String(),
  // Optional: review items stored before candidates carried it have none.
  language: Type.Optional(Type.String({ description: "the LPI's language: ENG, or CYM for a property's Welsh address" })),
  logicalStatus: Type.Integer(),
});
const Explanation = Type.Object({
  evidence: Type.String({ description: 'uprn, cross-reference or address' }),
  fields: Nullable(Type.Record(Type.String(), Type.Unknown(), { description: 'how each field of the input compared with the chosen candidate' })),
  runnerUp: Nullable(Type.Object({ uprn: Type.Integer(), score: Type.Number(), fields: Nullable(Type.Record(Type.String(), Type.Unknown())) })),
  reasons: Type.Array(Type.String()),
  successorOf: Nullable(Type.Integer()),
  parsed: Nullable(Type.Record(Type.String(), Type.Unknown())),
});
const Match = Type.Object({
  uprn: Nullable(Type.Integer()),
  status: Status,
  score: Type.Number(),
  decidedBy: Type.Union([Type.Literal('matcher'), Type.Literal('steward')]),
  explanation: Explanation,
  candidates: Type.Array(Candidate),
});
const ReviewItem = Type.Object({
  id: Type.Integer(),
  text: Type.String(),
  postcode: Nullable(Type.String()),
  occurrences: Type.Integer({ description: 'source records waiting on this input' }),
  createdAt: Type.String(),
  result: Type.Object({ score: Type.Number(), explanation: Explanation, candidates: Type.Array(Candidate) }),
});

const ROLES = ['steward', 'admin'] as const;

/** The queue is not about one citizen, so its routes' refusals are not recorded (as for the person queue). */
function stewardOf(request: FastifyRequest): StewardCaller {
  return { client: clientOf(request), requestId: String(request.id), at: new Date() };
}

const addressMatching: FastifyPluginAsyncTypebox<{ pool: pg.Pool; matcher: AddressMatcher }> = async (app, { pool, matcher }) => {
  app.get('/v1/addresses/match', {
    config: { roles: 'any' },
    schema: {
      tags: ['address matching'],
      summary: 'Match one address to a UPRN, with the score, the explanation and the top candidates',
      description: 'Reasons beginning with a code say why an input cannot be matched or what was not used: `po-box:`, `postcode-only:` (a postcode alone, no street, number or name: unmatched), `invalid-postcode:` (the `postcode` given is not a valid postcode and was not used). An input a steward decided is `matched` with `decidedBy: steward`, its explanation comparing the text with the property decided.',
      querystring: Type.Object({
        // Only spaces is no address, as empty is none: refused alike rather than answered unmatched.
        text: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'the address as written, postcode included or not; not blank' }),
        postcode: Type.Optional(Type.String({ maxLength: 12 })),
        // A UPRN the caller holds, checked against the gazetteer.
        uprn: Type.Optional(UprnText),
        crossReference: Type.Optional(Type.String({ maxLength: 40, description: 'e.g. a council-tax property reference' })),
      }),
      response: { 200: Match, ...errorResponses },
    },
  }, async (request) => {
    const { text, postcode, uprn, crossReference } = request.query;
    const result = await matcher.match({ text, postcode: postcode ?? null, uprn: uprn === undefined ? null : Number(uprn), crossReference: crossReference ?? null });
    const { inputKey: _key, ...body } = result;
    return body as never;
  });

  app.get('/v1/review/addresses', {
    config: { roles: ROLES },
    schema: {
      tags: ['address matching'],
      summary: 'Uncertain address matches waiting for a steward, oldest first',
      querystring: Type.Object({ after: PageAfterId, limit: PageLimit }),
      response: { 200: Type.Object({ items: Type.Array(ReviewItem), next: PageNextId }), ...errorResponses },
    },
  }, async (request) => {
    const caller = stewardOf(request);
    // The page is read, and its audit entries written, in one transaction: nothing is answered unless they commit.
    const rows = await withAudit(pool, async (db) => {
      const page = (await db.query<{ id: number; inputKey: string; postcode: string | null }>(sql.reviewQueue, [request.query.after, request.query.limit])).rows;
      return { result: page, entries: addressReviewReadEntries(caller, page, await reviewRecords(db, page.map((r) => r.id))) };
    });
    return { items: rows.map(({ inputKey: _k, ...r }) => r) as never, ...nextOf(rows, request.query.limit, (r) => r.id) };
  });

  const DecisionBody = Type.Union([
    Type.Object({
      uprn: Type.Integer({ minimum: 1, maximum: 999_999_999_999 }),
      confirm: Type.Optional(Type.Boolean({ description: 'decide it although the property is on another street, under a postcode of another sector, than the input' })),
    }, { additionalProperties: false }),
    Type.Object({ noMatch: Type.Literal(true) }, { additionalProperties: false }),
  ]);
  const Decided = Type.Object({
    id: Type.Integer(),
    uprn: Nullable(Type.Integer()),
    updatedRecords: Type.Integer({ description: 'source records the decision matched: those waiting on the input (occurrences), or, revised, those the decision it replaces had matched' }),
  });
  const CONTRADICTS = ' A property on another street, under a postcode of another sector, than the input is refused (409 decision-contradicts-input) unless `confirm` is true.';

  /** A first decision (POST) or a revision (PUT) of one, audited alike in its transaction. */
  const decide = (revise: boolean) => async (request: FastifyRequest<{ Params: { id: number }; Body: { uprn: number; confirm?: boolean } | { noMatch: true } }>) => {
    const caller = stewardOf(request);
    const body = request.body;
    const uprn = 'uprn' in body ? body.uprn : null;
    try {
      const { updatedRecords } = await decideReview(pool, matcher, request.params.id, { uprn, revise, confirm: 'uprn' in body && body.confirm === true }, caller.client.id,
        (db, decided) => appendAudit(db, addressDecisionEntries(caller, decided)));
      return { id: request.params.id, uprn, updatedRecords };
    } catch (error) {
      if (error instanceof ReviewError) throw new HubError(error.code, error.message);
      throw error;
    }
  };

  app.post('/v1/review/addresses/:id', {
    config: { roles: ROLES },
    schema: {
      tags: ['address matching'],
      summary: "A steward's decision on an open item: the right UPRN, or no match. Reused for the same input from then on.",
      description: 'Applied to the source records waiting on the input (those the matcher sent to review), never to one matched by a UPRN or cross reference its source gave. An item already decided answers 409: revise its decision with PUT.' + CONTRADICTS,
      params: Type.Object({ id: RowId({ minimum: 1 }) }),
      body: DecisionBody,
      response: { 200: Decided, ...errorResponses },
    },
  }, decide(false));

  app.put('/v1/review/addresses/:id', {
    config: { roles: ROLES },
    schema: {
      tags: ['address matching'],
      summary: "Revise a steward's decision on a decided item: another UPRN, or no match",
      description: 'Replaces the decision kept for the input, and re-matches the records the decision it replaces had matched; audited as a decision, with the UPRN it replaces. An item not decided yet answers 409: decide it with POST.' + CONTRADICTS,
      params: Type.Object({ id: RowId({ minimum: 1 }) }),
      body: DecisionBody,
      response: { 200: Decided, ...errorResponses },
    },
  }, decide(true));
};
export default addressMatching;
