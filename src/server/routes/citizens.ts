/**
 * Reading citizens: one by reference, search (call pop-up by phone number
 * included), and the occupants of a property. Every read states a purpose in
 * X-Purpose; the policy engine decides per citizen and category, denied
 * categories never reach the response, and a citizen the caller may see
 * nothing of is answered exactly like one that does not exist.
 * For the DPO: the access explanation and the subject access export.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { Type, type TSchema } from 'typebox';
import { CitizenView } from '../../../schemas/citizen-view.js';
import { IsoDate, MovedToSurvivor, UprnText } from '../../../schemas/common.js';
import { LinkHistoryEntry } from '../../../schemas/link-history.js';
import { Consent, Objection, ORG_ID_MAX, Restriction } from '../../../schemas/register.js';
import { Role, type Role as RoleName } from '../../../schemas/roles.js';
import {
  discloseCitizen, discloseMany, recordablePurpose, refusedRead, type DisclosureContext, type DisclosureRequest, type Outcome, type ReadRefusal,
} from '../../citizens/disclosure.js';
import type { CitizenSearch, CitizenSource } from '../../citizens/source.js';
import { explainAccessAudited } from '../../citizens/access-explanation.js';
import { subjectAccess } from '../../citizens/subject-access.js';
import { withAudit } from '../../audit/store.js';
import { endPool } from '../../db/pool-guard.js';
import { pipelinedPool } from '../../db/transaction.js';
import { categoriesTested, OCCUPANTS_TEST } from '../../policy/criteria.js';
import { BREAK_GLASS_CATEGORIES, BREAK_GLASS_REASON_MIN, londonDate } from '../../policy/decide.js';
import { policyOptions, type PolicyOptions } from '../../policy/options.js';
import { refusedEntry } from '../../register/change-entry.js';
import { RegisterInputCache } from '../../register/input-cache.js';
import { errorResponses, HubError } from '../errors.js';
import { clientOf } from '../plugins/auth.js';

export interface CitizenRouteOptions {
  pool: pg.Pool;
  source: CitizenSource;
  /** Purpose vocabulary (HUB_EXTRA_PURPOSES included), role–purpose table and break-glass time. */
  policy?: PolicyOptions;
  clock?: () => Date;
}

/** How many matches the caller may see a search counts and pages; `more` says there may be others. */
const SEARCH_CANDIDATES = 100;
/**
 * How many matches a search may weigh to find those: hidden ones take no place of the caller's, unless
 * at least SEARCH_SCAN - SEARCH_CANDIDATES of the first SEARCH_SCAN are hidden. Each hidden one weighed is audited as a denial.
 */
const SEARCH_SCAN = 1_000;

const Ref = Type.String({ minLength: 1, maxLength: 64 });
/** A search criterion as text: one of blanks only would be no criterion (a blank forename is the prefix of every one). */
const Criterion = (options: { minLength: number; maxLength: number; description?: string }) => Type.String({ pattern: '\\S', ...options });
const PurposeHeaders = Type.Object({
  'x-purpose': Type.Optional(Type.String({ description: 'why the caller reads: one of the configured purposes (required)' })),
  'x-break-glass-reason': Type.Optional(Type.String({
    maxLength: 500,
    description: `with purpose emergency, why (at least ${BREAK_GLASS_REASON_MIN} characters): required by every search and occupants list, and by a read `
      + 'of a citizen unless this client holds a live break-glass grant for that citizen; a grant opens only the citizen it was given for',
  })),
});
const List = Type.Object({
  count: Type.Integer({ description: `citizens the caller may see among the matches; a search counts at most ${SEARCH_CANDIDATES}` }),
  more: Type.Optional(Type.Boolean({
    description: `true (else absent) when a search may match more than the ${SEARCH_CANDIDATES} it counts: give more criteria to narrow it`,
  })),
  citizens: Type.Array(CitizenView),
});
const Explanation = Type.Object({
  policyVersion: Type.String(),
  caller: Type.Object({ clientId: Type.Integer(), orgId: Type.Integer(), role: Role }),
  purpose: Type.String(),
  at: Type.String(),
  summary: Type.String(),
  reviewRequired: Type.Boolean(),
  categories: Type.Array(Type.Object({
    category: Type.String(), special: Type.Boolean(), permit: Type.Boolean(), reason: Type.String(),
    agreementId: Type.Optional(Type.String()), agreementVersion: Type.Optional(Type.Integer()), consentId: Type.Optional(Type.String()),
  })),
  agreements: Type.Array(Type.Object({ id: Type.String(), version: Type.Integer(), counts: Type.Boolean(), reason: Type.String() })),
  sourceSystems: Type.Object({ named: Type.Boolean(), reason: Type.String() }, { description: 'whether values would name the source system they came from (and linked records be listed), and why' }),
  breakGlass: Type.Optional(Type.Object({
    reasonMinLength: Type.Integer({ description: 'the shortest reason X-Break-Glass-Reason takes' }),
    minutes: Type.Integer({ description: 'how long a grant lasts' }),
    liveGrants: Type.Array(Type.Object({ clientId: Type.Integer(), grantedAt: Type.String(), expiresAt: Type.String() }), {
      description: "live grants for this citizen held by the organisation's clients in this role; each opens the citizen to its own client only",
    }),
  }, { description: 'purpose emergency only: the categories are those a read with a written reason would open, each flagged for review' })),
});
const Any = Type.Unknown();
const Nullable = <T extends TSchema>(schema: T, options: { description?: string } = {}) => Type.Union([schema, Type.Null()], options);
const OwnRecord = Type.Object({ system: Type.String(), sourceRef: Type.String() });
const SubjectAccess = Type.Object({
  citizenRef: Type.String(),
  mergedRefs: Type.Array(Type.String()),
  generatedAt: Type.String(),
  view: Type.Omit(CitizenView, ['household'], {
    description: 'the person\'s record as held, without the household: its members are other people (UK GDPR Art. 15(4)), counted in householdOthers',
  }),
  householdOthers: Type.Integer({ minimum: 0, description: 'how many other people the hub places at the person\'s current address; not named' }),
  sourceRecords: Type.Array(Type.Object({
    id: Type.Integer(), system: Type.String(), sourceRef: Type.String(), version: Type.Integer(), current: Type.Boolean(), closed: Type.Boolean(),
    receivedAt: Type.String(), rawFormat: Type.String(), raw: Type.String({ description: 'the payload exactly as received' }), record: Any,
    addressMatch: Any,
  })),
  rejects: Type.Array(Type.Object({
    id: Type.Integer(), intakeId: Type.Integer(), system: Type.String(), sourceRef: Type.String(),
    position: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), { description: 'file and line, or request id, and index' }),
    field: Nullable(Type.String()), rule: Nullable(Type.String()), reason: Type.String(),
    raw: Nullable(Type.String({ description: 'the row exactly as received; null when the reader could not give its text' })), receivedAt: Type.String(),
  }), {
    description: 'rows of the person\'s source records that could not be taken in, oldest first, found by the source reference read from the row: '
      + 'a row whose reference could not be read, or rejected before migration 056, cannot be told to be theirs and is not here',
  }),
  linkHistory: Type.Array(LinkHistoryEntry, { description: "the account's events and stewards' matching decisions about the person's records, oldest first" }),
  personReviews: Type.Array(Type.Object({
    id: Type.Integer(), status: Type.Union([Type.Literal('open'), Type.Literal('decided'), Type.Literal('withdrawn')]), createdAt: Type.String(),
    record: Nullable(OwnRecord, { description: 'the record weighed for linking, when it is the person\'s; null: another record, not shown' }),
    candidate: Nullable(OwnRecord, { description: 'the closest record of the account it might join, when it is the person\'s; null: another record, not shown' }),
    candidateCitizenRef: Nullable(Type.String({ description: 'that account, when it is the person\'s' })),
    weight: Type.Number(), fields: Type.Array(Any, { description: 'per-field agreement levels and weights' }),
    modelDecision: Type.Union([Type.Literal('link'), Type.Literal('review'), Type.Literal('distinct')]), reason: Type.String(),
    modelVersion: Nullable(Type.Integer()), decision: Nullable(Type.Union([Type.Literal('link'), Type.Literal('distinct')])),
    decidedBy: Nullable(Type.Integer({ description: "the steward's client" })), decidedAt: Nullable(Type.String()),
    withdrawnAt: Nullable(Type.String()), withdrawnWhy: Nullable(Type.String()),
  }), { description: 'linkage review items (GET /v1/review/people) weighing one of the person\'s records or a record against their account, in any state, oldest first' }),
  consents: Type.Array(Consent),
  objections: Type.Array(Objection),
  restrictions: Type.Array(Restriction),
  breakGlassGrants: Type.Array(Type.Object({
    id: Type.Integer(), clientId: Type.Integer(), orgId: Type.Integer(), citizenRef: Type.String({ description: 'the reference the grant was opened for' }),
    reason: Type.String(), grantedAt: Type.String(), expiresAt: Type.String(),
  }), { description: 'break-glass grants opened for the person (under any of their references), oldest first' }),
  disclosures: Type.Array(Type.Record(Type.String(), Any), {
    description: 'the audit entries about this person, oldest first, whole; and, reduced to what concerns this person, the entries about '
      + 'someone else that named them (`namedAs`: `household-member`, a view of someone they live with named them; `record`, a steward\'s page '
      + 'under another account showed one of their records): when, which action, client, organisation, role, purpose and agreements, the '
      + 'person\'s references or records named, and what of the person it disclosed; nothing of the other person (reference, categories, '
      + 'fields, reasons, consents) and no hash',
  }),
});

const citizens: FastifyPluginAsyncTypebox<CitizenRouteOptions> = async (app, opts) => {
  const options = opts.policy ?? policyOptions();
  // Reads run on a pipelined pool: BEGIN leaves with the view's statement and COMMIT behind the audit insert.
  const reads = pipelinedPool(opts.pool, (error) => app.log.error({ err: error }, 'citizen read pool'));
  app.addHook('onClose', () => endPool(reads));
  const ctx: DisclosureContext = {
    pool: reads, source: opts.source, options, clock: opts.clock ?? (() => new Date()),
    // Agreements and record holders between reads, checked by every audit insert that relies on them.
    cache: new RegisterInputCache(),
  };

  /**
   * The read's purpose and break-glass reason. A read refused for them is a
   * denial about the citizen of `citizenRef` (null for a search or listing),
   * audited before the refusal is answered, whether the citizen exists or not.
   */
  const requestOf = async (request: FastifyRequest, action: string, citizenRef: string | null): Promise<DisclosureRequest> => {
    const client = clientOf(request);
    const requestId = String(request.id);
    const raw = request.headers['x-purpose'];
    const purpose = typeof raw === 'string' ? raw.trim() : '';
    const refuse = async (refused: ReadRefusal, error: HubError): Promise<never> => {
      const entry = refusedRead(client, requestId, ctx.clock(), action, citizenRef, purpose, refused);
      await withAudit(opts.pool, async () => ({ result: null, entries: [entry] }));
      throw error;
    };
    if (purpose === '') return refuse('purpose-missing', new HubError('purpose-required', 'State the purpose of the read in the X-Purpose header'));
    if (!options.purposes.includes(purpose)) {
      return refuse('purpose-unknown', new HubError('purpose-required', `X-Purpose is not a known purpose; use one of: ${options.purposes.join(', ')}`));
    }
    const reason = request.headers['x-break-glass-reason'];
    const breakGlassReason = typeof reason === 'string' && reason.trim() !== '' ? reason.trim() : null;
    // A reason the DPO can review says what happened: "x" or "urgent" says nothing.
    if (breakGlassReason !== null && breakGlassReason.length < BREAK_GLASS_REASON_MIN) {
      return refuse('break-glass-reason-too-short', new HubError('bad-request', `X-Break-Glass-Reason must say why, in at least ${BREAK_GLASS_REASON_MIN} characters`));
    }
    return { client, purpose, breakGlassReason, requestId, action };
  };

  /** Turns an outcome into the answer; not-found reads the same whether the citizen is missing or hidden. */
  const answer = <T>(reply: FastifyReply, outcome: Outcome<T>, redirect: (to: string) => string): T | FastifyReply => {
    switch (outcome.kind) {
      case 'ok': return outcome.value;
      case 'redirect': return reply.code(308).header('location', redirect(outcome.to)).send();
      case 'not-found': throw new HubError('not-found', 'no such citizen');
      case 'break-glass-reason-required':
        throw new HubError('purpose-required',
          'Purpose emergency needs a written reason in X-Break-Glass-Reason: a grant opens one citizen for a limited time, and each search or list needs its own');
    }
  };

  const moved = (request: FastifyRequest, ref: string) => (to: string) =>
    request.url.replace(`/v1/citizens/${encodeURIComponent(ref)}`, `/v1/citizens/${encodeURIComponent(to)}`);

  // Citizen reads admit every role: the policy decides what each may see, per purpose and category.
  app.get('/v1/citizens/:ref', {
    config: { roles: 'any' },
    schema: {
      tags: ['citizens'], summary: 'The citizen view: golden record, linked records, entitlements, household — as far as the purpose allows',
      description: 'Denied categories are removed and listed in `withheld`. The household is shown only with the citizen\'s own address, '
        + 'and names only members whose identity and address the caller may see. An entitlement that reveals a health condition '
        + '(disability, blue badge, disability reduction, disabled person\'s concession) is health-disability, shown only under an '
        + 'Art. 9 condition, and one granted by a revenues or concessions scheme needs that category too. Each entitlement has a `status` '
        + 'on the day of the read (London): `current`, `ended` (past its `to`, or its record closed or withdrawn) or `future` (before its `from`), '
        + 'and a `holder`: `account` for a council-tax disability reduction, which is the property\'s and no evidence about the person, `person` otherwise; '
        + 'an involvement past its `to` or of a closed record reads `closed`. Linked records '
        + '(`sourceRecords`) are listed only when values name their source systems. '
        + 'Purpose emergency (break-glass) is open only to an organisation that a sharing agreement in force names for purpose emergency, '
        + `and discloses only the categories break-glass opens (${BREAK_GLASS_CATEGORIES.join(', ')}) that the agreement `
        + 'covers, a special category only under its Art. 9 condition. It needs X-Break-Glass-Reason, which opens a grant for this client and this citizen (the survivor, '
        + 'for a merged reference) for a limited time; within it the client may read that citizen again without a reason, and no other. '
        + 'Every such read is flagged for review.',
      params: Type.Object({ ref: Ref }), headers: PurposeHeaders,
      response: { 200: CitizenView, ...MovedToSurvivor, ...errorResponses },
    },
  }, async (request, reply) => {
    const req = await requestOf(request, 'citizen.read', request.params.ref);
    return answer(reply, await discloseCitizen(ctx, req, request.params.ref), moved(request, request.params.ref));
  });

  app.get('/v1/citizens', {
    config: { roles: 'any' },
    schema: {
      tags: ['citizens'], summary: 'Find citizens, best match first (phone alone: call pop-up); people the caller may not see are neither listed nor counted',
      description: 'A citizen matches only when the caller may see every category the criteria test: surname, forename, dob, nhsNumber and nino '
        + 'identity; phone and email contact; postcode and uprn address; cardNumber concessions (the smartcard system\'s). '
        + `The first ${SEARCH_CANDIDATES} the caller may see are counted and paged; \`more\` says there may be others. `
        + 'Purpose emergency needs X-Break-Glass-Reason on every search (a grant for one citizen opens no search); each is flagged for review. '
        + 'Criteria combine (all must hold): a parameter the route does not take is refused (400), as a misspelt criterion ignored would widen '
        + 'the search; so is a criterion of blanks only.',
      headers: PurposeHeaders,
      querystring: Type.Object({
        surname: Type.Optional(Criterion({
          minLength: 1, maxLength: 100,
          description: "however it is written (O'CONNOR, OCONNOR; BURTON-HALL, BURTONHALL), or one part of a double-barrelled surname (BURTON); with JNR or SNR, only that generation",
        })),
        forename: Type.Optional(Criterion({ minLength: 1, maxLength: 100 })),
        dob: Type.Optional(IsoDate),
        postcode: Type.Optional(Criterion({ minLength: 2, maxLength: 10 })),
        uprn: Type.Optional(UprnText),
        phone: Type.Optional(Criterion({ minLength: 5, maxLength: 30, description: 'written any way (07911 123456, +44 7911 123456); finds any of a record\'s valid phone numbers, not only its first' })),
        email: Type.Optional(Criterion({ minLength: 3, maxLength: 254, description: 'in any case; finds any of a record\'s valid email addresses, not only its first' })),
        nhsNumber: Type.Optional(Criterion({ minLength: 10, maxLength: 12 })),
        nino: Type.Optional(Criterion({ minLength: 8, maxLength: 13 })),
        cardNumber: Type.Optional(Criterion({ minLength: 4, maxLength: 30 })),
        offset: Type.Integer({ minimum: 0, maximum: SEARCH_CANDIDATES, default: 0 }),
        limit: Type.Integer({ minimum: 1, maximum: 50, default: 10 }),
      }),
      response: { 200: List, ...errorResponses },
    },
  }, async (request, reply) => {
    const req = await requestOf(request, 'citizen.search', null);
    const { offset, limit, uprn, ...rest } = request.query;
    const criteria = { ...rest, uprn: uprn === undefined ? undefined : Number(uprn) };
    if (Object.values(criteria).every((v) => v === undefined)) throw new HubError('bad-request', 'give at least one search criterion');
    const search = criteria as CitizenSearch;
    const find = (source: CitizenSource, candidates: number) => source.search(search, candidates);
    const listing = { find, cap: SEARCH_CANDIDATES, scan: SEARCH_SCAN, tested: categoriesTested(search) };
    return answer(reply, await discloseMany(ctx, req, listing, { offset, limit }), (to) => to);
  });

  app.get('/v1/properties/:uprn/occupants', {
    config: { roles: 'any' },
    schema: {
      tags: ['citizens'], summary: 'The citizens living at a property, as far as the purpose allows (only those whose address the caller may see)',
      description: 'Purpose emergency needs X-Break-Glass-Reason on every such list (a grant for one citizen opens no list); each is flagged for review.',
      params: Type.Object({ uprn: UprnText }), headers: PurposeHeaders,
      querystring: Type.Object({ offset: Type.Integer({ minimum: 0, default: 0 }), limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }) }),
      response: { 200: List, ...errorResponses },
    },
  }, async (request, reply) => {
    const req = await requestOf(request, 'property.occupants', null);
    const candidates = (source: CitizenSource) => source.occupants(Number(request.params.uprn));
    return answer(reply, await discloseMany(ctx, req, { candidates, tested: OCCUPANTS_TEST }, request.query), (to) => to);
  });

  /** For the DPO routes: the citizen's unfiltered view, or the redirect to follow. */
  const held = async (ref: string) => {
    const found = await opts.source.view(ref, londonDate(ctx.clock()));
    if (found === null) throw new HubError('not-found', 'no such citizen');
    return found;
  };

  app.get('/v1/citizens/:ref/access-explanation', {
    config: { roles: ['dpo'], auditRefusalAs: 'citizen.access-explanation' },
    schema: {
      tags: ['citizens', 'register'], summary: 'Which categories an organisation may see of this citizen for a purpose, and why (DPO)',
      description: 'For purpose emergency: what break-glass would open to each role with a written reason for this citizen, and under which '
        + 'agreement: only the break-glass categories an agreement in force naming the organisation for purpose emergency covers (a special '
        + 'category only under its Art. 9 condition); nothing to an organisation no such agreement names, to a role that may not use it, or under '
        + 'a restriction in force. Also how long a grant lasts, and the live grants the organisation\'s clients hold for the citizen.',
      params: Type.Object({ ref: Ref }),
      querystring: Type.Object({
        org: Type.Integer({ minimum: 1, maximum: ORG_ID_MAX }),
        purpose: Type.String({ minLength: 1, maxLength: 64 }),
        role: Type.Optional(Role),
      }),
      response: { 200: Type.Object({ citizenRef: Type.String(), explanations: Type.Array(Explanation) }), ...MovedToSurvivor, ...errorResponses },
    },
  }, async (request, reply) => {
    const { ref } = request.params;
    const { org, purpose, role } = request.query;
    if (!options.purposes.includes(purpose)) {
      // Refused, as a read for an unknown purpose is: audited alike whether the citizen exists or not.
      const entry = refusedEntry(clientOf(request), String(request.id), ctx.clock(), ref, 'citizen.access-explanation');
      const detail = { explainedFor: { org, purpose: recordablePurpose(purpose) }, refused: 'purpose-unknown' };
      await withAudit(opts.pool, async () => ({ result: null, entries: [{ ...entry, detail }] }));
      const rule = `is not a known purpose; use one of: ${options.purposes.join(', ')}`;
      throw new HubError('purpose-required', `purpose ${rule}`, [{ path: 'querystring.purpose', message: rule }]);
    }
    const found = await held(ref);
    if ('redirectTo' in found) return reply.code(308).header('location', moved(request, ref)(found.redirectTo)).send();
    const { rows } = await opts.pool.query<{ role: RoleName }>(
      'SELECT DISTINCT c.role FROM organisation o LEFT JOIN api_client c ON c.org_id = o.id AND c.revoked_at IS NULL WHERE o.id = $1', [org],
    );
    if (rows.length === 0) throw new HubError('not-found', `no organisation ${org}`);
    // Without a role asked for: every role the organisation holds keys for (a partner when it holds none yet).
    const roles: RoleName[] = role ? [role] : rows.flatMap((r) => (r.role ? [r.role] : [])).sort();
    if (roles.length === 0) roles.push('partner');
    const mergedRefs = opts.source.mergedInto ? await opts.source.mergedInto(ref) : [];
    const question = { ref, mergedRefs, org, purpose, roles };
    const explanations = await explainAccessAudited(opts.pool, clientOf(request), question, options, String(request.id), ctx.clock());
    return { citizenRef: ref, explanations };
  });

  app.get('/v1/citizens/:ref/subject-access', {
    config: { roles: ['dpo'], auditRefusalAs: 'citizen.subject-access' },
    schema: {
      tags: ['citizens'], summary: 'Everything held about the person: sources as received and their rejected rows, matching decisions and linkage reviews, consents, restrictions, break-glass grants, disclosure log (DPO)',
      description: 'Matching decisions: address matches (per source record) and the link history: links, unlinks, merges, splits, and stewards\' '
        + 'decisions that the person\'s account or records are not the same person as another (kind distinct, revoked ones too), oldest first.',
      params: Type.Object({ ref: Ref }),
      response: { 200: SubjectAccess, ...MovedToSurvivor, ...errorResponses },
    },
  }, async (request, reply) => {
    const client = clientOf(request);
    const { ref } = request.params;
    const found = await held(ref);
    if ('redirectTo' in found) return reply.code(308).header('location', moved(request, ref)(found.redirectTo)).send();
    return subjectAccess(opts.pool, opts.source, client, ref, found.view, String(request.id), ctx.clock()) as never;
  });
};
export default citizens;
