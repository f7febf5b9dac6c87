/**
 * The data protection register under /v1: organisations, sharing agreements
 * (versioned), and per citizen consents, objections and restrictions. The
 * DPO changes it; an admin may read it. Every change is audited in the same
 * transaction as the change itself.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { Type } from 'typebox';
import {
  AgreementAfter, AgreementId, AgreementStatus, AgreementVersion, Consent, ConsentCreate, ConsentUpdate, Objection, ObjectionCreate, Restriction, RestrictionCreate,
  RestrictionUpdate, RegisteredAgreement, SharingAgreement, SharingAgreementCreate, SharingAgreementUpdate, ORG_ID_MAX, ORG_KINDS,
} from '../../../schemas/register.js';
import { DEFAULT_MAPPING_FILES } from '../../../adapters/mapping/index.js';
import { categoryOfSystem, shippedSystemCategory } from '../../../schemas/categories.js';
import { MovedToSurvivor, PageAfterId, PageLimit, PageNextId, PageNextKey } from '../../../schemas/common.js';
import { withAudit } from '../../audit/store.js';
import type { MappingFiles } from '../../intake/systems.js';
import type { AuthenticatedClient } from '../../auth/clients.js';
import type { CitizenSource } from '../../citizens/source.js';
import { londonDate } from '../../policy/decide.js';
import { policyOptions, type PolicyOptions } from '../../policy/options.js';
import {
  agreementById, agreementVersions, createAgreement, listAgreements, partnerKinds, updateAgreement, withWarnings,
} from '../../register/agreements.js';
import { registerChangeEntry, registerReadEntry, type RegisterChange } from '../../register/change-entry.js';
import {
  addConsent, addObjection, addRestriction, consentsOf, objectionsOf, restrictionsOf, updateConsent, updateRestriction, withdrawObjection,
} from '../../register/citizen-records.js';
import { RegisterError } from '../../register/errors.js';
import { errorResponses, HubError } from '../errors.js';
import { nextOf } from '../paging.js';
import { jsonBodyParser } from '../plugins/json-body.js';
import { clientOf } from '../plugins/auth.js';

export interface RegisterRouteOptions {
  pool: pg.Pool;
  source: CitizenSource;
  /** The purpose vocabulary records must use (HUB_EXTRA_PURPOSES included). */
  policy?: PolicyOptions;
  clock?: () => Date;
  /** The systems the hub takes records of (mappingFilesOf); the shipped ones when not given. */
  mappingFiles?: MappingFiles;
}

const Organisation = Type.Object({ id: Type.Integer(), name: Type.String(), kind: Type.Enum(ORG_KINDS) });
const CitizenRef = Type.Object({ ref: Type.String({ minLength: 1, maxLength: 64 }) });
const RecordParams = Type.Object({ ref: Type.String({ minLength: 1, maxLength: 64 }), id: Type.String({ minLength: 1, maxLength: 64 }) });
const When = Type.Object(
  { at: Type.Optional(Type.String({ format: 'date-time', pattern: '^(?!0000)', description: 'when it takes effect; now when left out' })) },
  { additionalProperties: false },
);

const withoutRef = <P extends { citizenRef: unknown }>(properties: P): Omit<P, 'citizenRef'> => {
  const { citizenRef: _ref, ...rest } = properties;
  return rest;
};
const ConsentBody = Type.Object(withoutRef(ConsentCreate.properties), { additionalProperties: false });
const ObjectionBody = Type.Object(withoutRef(ObjectionCreate.properties), { additionalProperties: false });
const RestrictionBody = Type.Object(withoutRef(RestrictionCreate.properties), { additionalProperties: false });

/** The register's lists page as the review queues do: `after` the last key of the page before, at most `limit`. */
const PAGED = 'A page of at most `limit`; the next page is the one `after` the last id of this one (`next`, given while a page is full), until a page comes back short. '
  + 'A parameter the route does not take is refused (400): a misspelt `after` ignored would give the first page again.';

const CITIZENS = '/v1/citizens/';
const WRITERS = ['dpo'] as const;
const READERS = ['dpo', 'admin'] as const;

const SourceSystemCategory = Type.Object({
  system: Type.String(),
  category: Type.String({ description: 'the data category being known to the system tells; the policy engine decides on it like any other' }),
  shipped: Type.Boolean({ description: "one of the hub's own four, whose category is fixed; otherwise the council's own (MAPPING_FILES, its mapping's category)" }),
  since: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: "the council's own: when a start of the hub put this category in force" }),
});

const register: FastifyPluginAsyncTypebox<RegisterRouteOptions> = async (app, {
  pool, source, policy = policyOptions(), clock = () => new Date(), mappingFiles = DEFAULT_MAPPING_FILES as MappingFiles,
}) => {
  /**
   * A purpose outside the vocabulary would never match a read: refused as the
   * typing slip it almost certainly is, naming where in the body it is.
   */
  const knownPurposes = (given: ReadonlyArray<readonly [path: string, purpose: string | null | undefined]>) => {
    const unknown = given.filter((entry): entry is readonly [string, string] => typeof entry[1] === 'string' && !policy.purposes.includes(entry[1]));
    if (!unknown.length) return;
    const vocabulary = `use one of: ${policy.purposes.join(', ')}`;
    throw new HubError('validation-failed', `unknown purpose ${unknown.map(([, p]) => p).join(', ')}; ${vocabulary}`,
      unknown.map(([path]) => ({ path, message: `is not a known purpose; ${vocabulary}` })));
  };
  const items = <T>(path: string, list: readonly T[]) => list.map((item, i) => [`${path}.${i}`, item] as const);
  /** The agreements with what the DPO should know of each (src/register/agreements.ts withWarnings). */
  const warned = async (agreements: readonly SharingAgreement[]) => {
    const partners = await partnerKinds(pool);
    const today = londonDate(clock());
    return agreements.map((agreement) => withWarnings(agreement, today, partners));
  };
  const warnedOne = async (agreement: SharingAgreement) => (await warned([agreement]))[0]!;

  /**
   * Runs one register change and its audit entry in one transaction (no
   * entry when `fn` changed nothing and says so with a null change). A
   * refusal names the body's fields as a schema's refusal does; `bodyField`
   * renames a field the route passes on under another name (a withdrawal's
   * `at` is the record's withdrawnAt).
   */
  const change = <T>(
    request: FastifyRequest, client: AuthenticatedClient, fn: (db: pg.PoolClient) => Promise<{ result: T; change: RegisterChange | null }>,
    bodyField: Readonly<Record<string, string>> = {},
  ) =>
    withAudit(pool, async (db) => {
      try {
        const { result, change: what } = await fn(db);
        return { result, entries: what === null ? [] : [registerChangeEntry(client, String(request.id), clock(), what)] };
      } catch (error) {
        if (!(error instanceof RegisterError)) throw error;
        const errors = error.fields.map((f) => ({ path: `body.${bodyField[f.path] ?? f.path}`, message: f.message }));
        throw new HubError(error.code, error.message, errors.length ? errors : undefined);
      }
    });

  /**
   * A citizen's records are kept against the current reference: for an old
   * one, every route about it answers with the survivor's URL (the rest of
   * the path and the query kept), an unknown one is 404.
   */
  const redirectFor = async (ref: string, url: string): Promise<string | null> => {
    const found = await source.view(ref, londonDate(clock()));
    if (found === null) throw new HubError('not-found', 'no such citizen');
    if (!('redirectTo' in found)) return null;
    // The reference as sent may be encoded otherwise than encodeURIComponent would: cut at the segment's end instead of matching it.
    const end = url.slice(CITIZENS.length).search(/[/?]/);
    return `${CITIZENS}${encodeURIComponent(found.redirectTo)}${end < 0 ? '' : url.slice(CITIZENS.length + end)}`;
  };

  /** A route's preHandler: a merged reference answers 308 to the survivor's URL before any work, an unknown one 404. */
  const toSurvivor = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const redirect = await redirectFor((request.params as { ref: string }).ref, request.url);
    if (redirect) await reply.code(308).header('location', redirect).send();
  };

  /** The citizen's reference and those merged into it: records kept against any of them are the citizen's. */
  const ownRefs = async (ref: string): Promise<string[]> => [ref, ...(source.mergedInto ? await source.mergedInto(ref) : [])];

  app.post('/v1/register/organisations', {
    config: { roles: WRITERS },
    schema: {
      tags: ['register'], summary: 'Add an organisation (a council service or a partner)',
      body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), kind: Type.Enum(ORG_KINDS) }, { additionalProperties: false }),
      response: { 201: Organisation, ...errorResponses },
    },
  }, async (request, reply) => {
    const client = clientOf(request);
    const org = await change(request, client, async (db) => {
      const { rows } = await db.query<{ id: number; name: string; kind: (typeof ORG_KINDS)[number] }>(
        'INSERT INTO organisation (name, kind) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id, name, kind', [request.body.name, request.body.kind],
      );
      if (!rows[0]) throw new RegisterError('conflict', 'an organisation with this name exists');
      return { result: rows[0], change: { action: 'register.organisation.create', before: null, after: rows[0] } };
    });
    return reply.code(201).send(org);
  });

  app.get('/v1/register/organisations', {
    config: { roles: READERS },
    schema: {
      tags: ['register'], summary: 'Organisations, in id order',
      description: PAGED,
      querystring: Type.Object({ after: PageAfterId, limit: PageLimit }),
      response: { 200: Type.Object({ organisations: Type.Array(Organisation), next: PageNextId }), ...errorResponses },
    },
  }, async (request) => {
    const { rows } = await pool.query<{ id: number }>('SELECT id, name, kind FROM organisation WHERE id > $1 ORDER BY id LIMIT $2', [request.query.after, request.query.limit]);
    return { organisations: rows, ...nextOf(rows, request.query.limit, (o) => Number(o.id)) };
  });

  app.get('/v1/register/systems', {
    config: { roles: READERS },
    schema: {
      tags: ['register'], summary: 'The source systems the hub takes records of, with the data category each holds, in name order',
      description: 'Each change of a council\'s own system\'s category is also in the audit trail (`action=system.category`, docs/audit.md).',
      response: { 200: Type.Object({ systems: Type.Array(SourceSystemCategory) }), ...errorResponses },
    },
  }, async () => {
    const { rows } = await pool.query<{ system: string; since: Date }>('SELECT system, since FROM system_category');
    const since = new Map(rows.map((r) => [r.system, r.since.toISOString()]));
    const systems = Object.keys(mappingFiles).sort().map((system) => ({
      system, category: categoryOfSystem(system), shipped: shippedSystemCategory(system) !== undefined, since: since.get(system) ?? null,
    }));
    return { systems };
  });

  app.post('/v1/register/agreements', {
    config: { roles: WRITERS },
    schema: { tags: ['register'], summary: 'Register a sharing agreement (version 1)', body: SharingAgreementCreate, response: { 201: RegisteredAgreement, ...errorResponses } },
  }, async (request, reply) => {
    const client = clientOf(request);
    knownPurposes(items('body.purposes', request.body.purposes));
    const created = await change(request, client, async (db) => {
      const agreement = await createAgreement(db, request.body, client.id);
      return { result: agreement, change: { action: 'register.agreement.create', agreement: { id: agreement.id, version: 1 }, before: null, after: agreement } };
    });
    return reply.code(201).send(await warnedOne(created));
  });

  app.get('/v1/register/agreements', {
    config: { roles: READERS },
    schema: {
      tags: ['register'], summary: 'Current versions of sharing agreements, in id order',
      description: PAGED,
      querystring: Type.Object({
        org: Type.Optional(Type.Integer({ minimum: 1, maximum: ORG_ID_MAX, description: 'provider or recipient' })), status: Type.Optional(AgreementStatus),
        after: AgreementAfter, limit: PageLimit,
      }),
      response: { 200: Type.Object({ agreements: Type.Array(RegisteredAgreement), next: PageNextKey }), ...errorResponses },
    },
  }, async (request) => {
    const { after, limit, ...filters } = request.query;
    const agreements = await warned(await listAgreements(pool, filters, { after, limit }));
    return { agreements, ...nextOf(agreements, limit, (a) => a.id) };
  });

  app.get('/v1/register/agreements/:id', {
    config: { roles: READERS },
    schema: {
      tags: ['register'], summary: 'One agreement: the current version, or the version asked for',
      params: Type.Object({ id: AgreementId }), querystring: Type.Object({ version: Type.Optional(AgreementVersion) }),
      response: { 200: RegisteredAgreement, ...errorResponses },
    },
  }, async (request) => {
    const agreement = await agreementById(pool, request.params.id, request.query.version);
    if (!agreement) throw new HubError('not-found', `no agreement ${request.params.id}${request.query.version ? ` version ${request.query.version}` : ''}`);
    return warnedOne(agreement);
  });

  app.get('/v1/register/agreements/:id/versions', {
    config: { roles: READERS },
    schema: {
      tags: ['register'], summary: 'Every version of one agreement, oldest first',
      params: Type.Object({ id: AgreementId }), response: { 200: Type.Object({ versions: Type.Array(RegisteredAgreement) }), ...errorResponses },
    },
  }, async (request) => {
    const versions = await agreementVersions(pool, request.params.id);
    if (!versions.length) throw new HubError('not-found', `no agreement ${request.params.id}`);
    return { versions: await warned(versions) };
  });

  const newVersion = (action: string) => async (request: FastifyRequest<{ Params: { id: string }; Body: SharingAgreementUpdate }>) => {
    const client = clientOf(request);
    knownPurposes(items('body.purposes', request.body.purposes ?? []));
    return warnedOne(await change(request, client, async (db) => {
      const { before, after, changed } = await updateAgreement(db, request.params.id, request.body, client.id);
      return { result: after, change: changed ? { action, agreement: { id: after.id, version: after.version }, before, after } : null };
    }));
  };

  app.put('/v1/register/agreements/:id', {
    config: { roles: WRITERS },
    schema: {
      tags: ['register'], summary: 'Change an agreement: writes a new version; `version` must be the current one (409 otherwise)',
      description: 'A change that changes nothing (the same values; lists in another order) writes no version and no audit entry: the answer is the '
        + 'current version. An ended agreement is final: any change is 409 `agreement-ended`; a status change outside draft → active or ended, '
        + 'active ↔ suspended, active or suspended → ended is 409 `status-transition-not-allowed`.',
      params: Type.Object({ id: AgreementId }), body: SharingAgreementUpdate, response: { 200: RegisteredAgreement, ...errorResponses },
    },
  }, newVersion('register.agreement.update'));

  app.post('/v1/register/agreements/:id/status', {
    config: { roles: WRITERS },
    schema: {
      tags: ['register'], summary: 'Activate, suspend or end an agreement (a new version with the new status)',
      description: 'draft → active or ended; active → suspended or ended; suspended → active or ended (409 `status-transition-not-allowed` '
        + 'otherwise). Ended is final: 409 `agreement-ended`. The status it has already: the current version, unchanged.',
      params: Type.Object({ id: AgreementId }),
      body: Type.Object({ version: AgreementVersion, status: AgreementStatus }, { additionalProperties: false }),
      response: { 200: RegisteredAgreement, ...errorResponses },
    },
  }, newVersion('register.agreement.status'));

  // Per citizen: consents, objections, restrictions. Every route answers 308 to the survivor for a merged reference, 404 for an unknown one.
  // A role refused a change is refused a change about the person: audited as that change, denied, whether the citizen exists or not.

  app.post('/v1/citizens/:ref/consents', {
    config: { roles: WRITERS, auditRefusalAs: 'register.consent.create' },
    preHandler: toSurvivor,
    schema: { tags: ['register'], summary: "Record a citizen's consent", params: CitizenRef, body: ConsentBody, response: { 201: Consent, ...MovedToSurvivor, ...errorResponses } },
  }, async (request, reply) => {
    const client = clientOf(request);
    knownPurposes([['body.purpose', request.body.purpose]]);
    const consent = await change(request, client, async (db) => {
      const created = await addConsent(db, { ...request.body, citizenRef: request.params.ref }, client.id);
      return { result: created, change: { action: 'register.consent.create', citizenRef: created.citizenRef, consentId: created.id, before: null, after: created } };
    });
    return reply.code(201).send(consent);
  });

  app.put('/v1/citizens/:ref/consents/:id', {
    config: { roles: WRITERS, auditRefusalAs: 'register.consent.update' },
    preHandler: toSurvivor,
    schema: { tags: ['register'], summary: 'Change the period, channel, evidence or withdrawal of a consent; a withdrawal may be moved earlier (not before from: 400), not cleared or moved later (409); a change that changes nothing writes and audits nothing', params: RecordParams, body: ConsentUpdate, response: { 200: Consent, ...MovedToSurvivor, ...errorResponses } },
  }, async (request) => {
    const client = clientOf(request);
    return change(request, client, async (db) => {
      const { before, after, changed } = await updateConsent(db, await ownRefs(request.params.ref), request.params.id, request.body);
      return { result: after, change: changed ? { action: 'register.consent.update', citizenRef: after.citizenRef, consentId: after.id, before, after } : null };
    });
  });

  app.post('/v1/citizens/:ref/objections', {
    config: { roles: WRITERS, auditRefusalAs: 'register.objection.create' },
    preHandler: toSurvivor,
    schema: { tags: ['register'], summary: "Record a citizen's objection (Art. 21)", params: CitizenRef, body: ObjectionBody, response: { 201: Objection, ...MovedToSurvivor, ...errorResponses } },
  }, async (request, reply) => {
    const client = clientOf(request);
    knownPurposes([['body.purpose', request.body.purpose]]);
    const objection = await change(request, client, async (db) => {
      const created = await addObjection(db, { ...request.body, citizenRef: request.params.ref }, client.id);
      return { result: created, change: { action: 'register.objection.create', citizenRef: created.citizenRef, before: null, after: created } };
    });
    return reply.code(201).send(objection);
  });

  app.post('/v1/citizens/:ref/restrictions', {
    config: { roles: WRITERS, auditRefusalAs: 'register.restriction.create' },
    preHandler: toSurvivor,
    schema: { tags: ['register'], summary: 'Record a restriction of processing (Art. 18): nothing is disclosed while it is in force', params: CitizenRef, body: RestrictionBody, response: { 201: Restriction, ...MovedToSurvivor, ...errorResponses } },
  }, async (request, reply) => {
    const client = clientOf(request);
    const restriction = await change(request, client, async (db) => {
      const created = await addRestriction(db, { ...request.body, citizenRef: request.params.ref }, client.id);
      return { result: created, change: { action: 'register.restriction.create', citizenRef: created.citizenRef, before: null, after: created } };
    });
    return reply.code(201).send(restriction);
  });

  app.put('/v1/citizens/:ref/restrictions/:id', {
    config: { roles: WRITERS, auditRefusalAs: 'register.restriction.update' },
    preHandler: toSurvivor,
    schema: { tags: ['register'], summary: 'Change the period, reason or lift of a restriction; a lift may be moved earlier (not before from: 400), not cleared or moved later (409); a change that changes nothing writes and audits nothing', params: RecordParams, body: RestrictionUpdate, response: { 200: Restriction, ...MovedToSurvivor, ...errorResponses } },
  }, async (request) => {
    const client = clientOf(request);
    return change(request, client, async (db) => {
      const { before, after, changed } = await updateRestriction(db, await ownRefs(request.params.ref), request.params.id, request.body);
      return { result: after, change: changed ? { action: 'register.restriction.update', citizenRef: after.citizenRef, before, after } : null };
    });
  });

  /**
   * Withdrawals and lifts, whose body is optional: none means now. In their
   * own scope, an empty body is no body whatever its content type (curl
   * -d '' sends a form type, a client library may send JSON with nothing),
   * instead of 400 for empty JSON or 415 for a form; any other body must be
   * JSON.
   */
  const ending: FastifyPluginAsyncTypebox = async (scope) => {
    const json = jsonBodyParser(scope);
    // text/plain (many clients' default) goes to the catch-all too: empty is no body, anything else 415.
    scope.removeContentTypeParser(['application/json', 'text/plain']);
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      if (body.length === 0) done(null, undefined);
      else json(request, String(body), done);
    });
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
      if (body.length === 0) done(null, undefined);
      else done(new HubError('unsupported-media-type', 'a withdrawal or lift takes a JSON body or none'), undefined);
    });
    // The schema validates an object: no body is one with no time given.
    scope.addHook('preValidation', async (request) => {
      if (request.body === undefined) request.body = {};
    });

    scope.post('/v1/citizens/:ref/consents/:id/withdraw', {
      config: { roles: WRITERS, auditRefusalAs: 'register.consent.withdraw' },
      preHandler: toSurvivor,
      schema: { tags: ['register'], summary: 'Withdraw a consent; takes effect on the next request. Without a body (or `at`): now. Not before its from (400); withdrawn already: the same or an earlier time only (409 otherwise)', params: RecordParams, body: When, response: { 200: Consent, ...MovedToSurvivor, ...errorResponses } },
    }, async (request) => {
      const client = clientOf(request);
      const at = request.body.at ?? clock().toISOString();
      return change(request, client, async (db) => {
        const { before, after, changed } = await updateConsent(db, await ownRefs(request.params.ref), request.params.id, { withdrawnAt: at });
        return { result: after, change: changed ? { action: 'register.consent.withdraw', citizenRef: after.citizenRef, consentId: after.id, before, after } : null };
      }, { withdrawnAt: 'at' });
    });

    scope.post('/v1/citizens/:ref/objections/:id/withdraw', {
      config: { roles: WRITERS, auditRefusalAs: 'register.objection.withdraw' },
      preHandler: toSurvivor,
      schema: { tags: ['register'], summary: 'Withdraw an objection. Without a body (or `at`): now. Not before its from (400); withdrawn already: the same or an earlier time only (409 otherwise)', params: RecordParams, body: When, response: { 200: Objection, ...MovedToSurvivor, ...errorResponses } },
    }, async (request) => {
      const client = clientOf(request);
      const at = request.body.at ?? clock().toISOString();
      return change(request, client, async (db) => {
        const { before, after, changed } = await withdrawObjection(db, await ownRefs(request.params.ref), request.params.id, at);
        return { result: after, change: changed ? { action: 'register.objection.withdraw', citizenRef: after.citizenRef, before, after } : null };
      }, { withdrawnAt: 'at' });
    });

    scope.post('/v1/citizens/:ref/restrictions/:id/lift', {
      config: { roles: WRITERS, auditRefusalAs: 'register.restriction.lift' },
      preHandler: toSurvivor,
      schema: { tags: ['register'], summary: 'Lift a restriction of processing. Without a body (or `at`): now. Not before its from (400); lifted already: the same or an earlier time only (409 otherwise)', params: RecordParams, body: When, response: { 200: Restriction, ...MovedToSurvivor, ...errorResponses } },
    }, async (request) => {
      const client = clientOf(request);
      const at = request.body.at ?? clock().toISOString();
      return change(request, client, async (db) => {
        const { before, after, changed } = await updateRestriction(db, await ownRefs(request.params.ref), request.params.id, { liftedAt: at });
        return { result: after, change: changed ? { action: 'register.restriction.lift', citizenRef: after.citizenRef, before, after } : null };
      }, { liftedAt: 'at' });
    });
  };
  await app.register(ending);

  const RegisterOf = Type.Object({
    citizenRef: Type.String(),
    consents: Type.Array(Consent),
    objections: Type.Array(Objection),
    restrictions: Type.Array(Restriction),
  });
  for (const [kind, load] of [['consents', consentsOf], ['objections', objectionsOf], ['restrictions', restrictionsOf]] as const) {
    app.get(`/v1/citizens/:ref/${kind}`, {
      config: { roles: READERS, auditRefusalAs: `register.${kind}.read` },
      preHandler: toSurvivor,
      schema: {
        tags: ['register'], summary: `A citizen's ${kind}, withdrawn and lifted ones included`,
        description: 'Those recorded under the references merged into this one too (each names its reference). An old (merged) reference '
          + 'answers 308 to the survivor\'s URL; an unknown one is 404. Each listing is audited as `register.' + kind + '.read`.',
        params: CitizenRef, response: { 200: Type.Pick(RegisterOf, ['citizenRef', kind]), ...MovedToSurvivor, ...errorResponses },
      },
    }, async (request) => {
      const client = clientOf(request);
      const { ref } = request.params as { ref: string };
      // Records kept against references merged into this one count for its reads, so they are listed too (each names its reference).
      const refs = await ownRefs(ref);
      return withAudit(pool, async (db) => ({
        result: { citizenRef: ref, [kind]: await load(db, refs) } as never,
        entries: [registerReadEntry(client, String(request.id), clock(), ref, kind)],
      }));
    });
  }
};
export default register;

