/**
 * Every /v1 route needs a valid API key; the same 401 for a missing, malformed, unknown or revoked key.
 * Then the route's role gate (config.roles), before the request is parsed or validated: a role a route
 * never admits is told 403, never what the route's schema wants; so is a key of a council role
 * (admin, dpo, steward) whose organisation is not a council organisation, but for a partner's DPO
 * on the routes that confine it to its own organisation (config.partnerOversight).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type pg from 'pg';
import { ClientCache, ClientChangeListener } from '../../auth/client-cache.js';
import { withAudit } from '../../audit/store.js';
import { authenticateMany, type AuthenticatedClient } from '../../auth/clients.js';
import { Batcher } from '../../db/batcher.js';
import { refusedEntry } from '../../register/change-entry.js';
import { COUNCIL_ORG_KIND } from '../../../schemas/register.js';
import { COUNCIL_ROLES, PARTNER_OVERSIGHT_ROLES, type Role } from '../../../schemas/roles.js';
import { HubError } from '../errors.js';
import { databaseHosts, FailureLog } from '../unavailable.js';

declare module 'fastify' {
  interface FastifyRequest {
    client: AuthenticatedClient | null;
  }
  interface FastifyInstance {
    /** Keys checked lately (src/auth/client-cache.ts): its state for /metrics and tests. */
    apiKeyCache: ClientCache;
  }
  interface FastifyContextConfig {
    /**
     * The roles a /v1 route admits; 'any' for every authenticated client.
     * Required on every /v1 route, so that one left without it fails at
     * start instead of being open to every role.
     */
    roles?: readonly Role[] | 'any';
    /**
     * A refusal is a denial of access to the citizen of the path's :ref,
     * recorded in the audit trail as this action before the 403.
     */
    auditRefusalAs?: string;
    /**
     * The route admits a key of a PARTNER_OVERSIGHT_ROLES role (among its
     * roles) whose organisation is a partner: the handler confines it to its
     * own organisation's data.
     */
    partnerOversight?: boolean;
  }
}

function keyFrom(headers: Record<string, string | string[] | undefined>): string | null {
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : null;
}

/**
 * Decided on the matched route's pattern, not the URL as sent: the router
 * decodes the path, so /%761/me reaches the /v1/me route.
 */
const isV1 = (path: string): boolean => path.startsWith('/v1/') || path === '/v1';

/** The authenticated client of a /v1 request (the auth hook guarantees one). */
export function clientOf(request: { client: AuthenticatedClient | null }): AuthenticatedClient {
  if (!request.client) throw new HubError('unauthorised', 'A valid API key is required');
  return request.client;
}

const roleRefusal = (client: AuthenticatedClient, roles: readonly Role[]): HubError | null =>
  roles.includes(client.role) ? null : new HubError('forbidden', `This operation needs one of the roles: ${roles.join(', ')}`);

export function requireRole(client: AuthenticatedClient, roles: readonly Role[]): void {
  const refusal = roleRefusal(client, roles);
  if (refusal) throw refusal;
}

/**
 * A key of a council role whose organisation is a partner (made for a
 * partner's organisation, or an organisation since registered as a partner):
 * the role's routes work on the whole hub's data for the council, so the key
 * is refused on every one of them, but for a partner's DPO on a route that
 * confines it to its own organisation. Routes open to any role decide by
 * organisation through the policy and stay open to it.
 */
function councilRefusal(client: AuthenticatedClient, partnerOversight: boolean): HubError | null {
  if (!COUNCIL_ROLES.includes(client.role) || client.orgKind === COUNCIL_ORG_KIND) return null;
  if (partnerOversight && PARTNER_OVERSIGHT_ROLES.includes(client.role)) return null;
  return new HubError(
    'council-organisation-required',
    `Role ${client.role} acts for the council: this key's organisation is of kind ${client.orgKind}, not ${COUNCIL_ORG_KIND}`,
  );
}

/** Checks at registration what the gate relies on. */
function checkRouteConfig(route: RouteOptions): void {
  const { roles, auditRefusalAs, partnerOversight } = route.config ?? {};
  const name = `${String(route.method)} ${route.url}`;
  if (!isV1(route.url)) {
    if (roles !== undefined || auditRefusalAs !== undefined || partnerOversight !== undefined) throw new Error(`${name}: only /v1 routes pass the role gate, so its config.roles would not be checked`);
    return;
  }
  if (roles === undefined || (roles !== 'any' && roles.length === 0)) {
    throw new Error(`${name}: a /v1 route needs config.roles, the roles it admits ('any' for every authenticated client)`);
  }
  if (auditRefusalAs !== undefined && !/\/:ref(\/|$)/.test(route.url)) throw new Error(`${name}: config.auditRefusalAs needs a :ref path parameter`);
  if (partnerOversight && (roles === 'any' || !roles.some((r) => PARTNER_OVERSIGHT_ROLES.includes(r)))) {
    throw new Error(`${name}: config.partnerOversight needs config.roles to name one of ${PARTNER_OVERSIGHT_ROLES.join(', ')}`);
  }
}

/** NUL, which no PostgreSQL text holds, as U+FFFD: the refusal is recorded before the NUL check answers 400 (plugins/nul.ts). */
const storable = (ref: string): string => ref.replaceAll('\u0000', '\uFFFD');

/**
 * Keys not in the cache, of requests that arrive while lookups run, are
 * looked up together, one query per batch instead of one per request.
 */
const LOOKUPS = { concurrency: 2, maxBatch: 64 };

/** A cache that says when it listens again: the listener reports only the connections it loses. */
class ReportingCache extends ClientCache {
  constructor(private readonly onListening: () => void) {
    super();
  }

  override setListening(on: boolean): void {
    super.setListening(on);
    if (on) this.onListening();
  }
}

export default fp(async function auth(app: FastifyInstance, opts: { pool: pg.Pool }) {
  // Reconnecting every second while the database is down (every key is looked up meanwhile): the loss is logged once, and the reconnection.
  const notifications = new FailureLog(app.log, 'API key cache listener', 'warn', databaseHosts(opts.pool));
  const cache = new ReportingCache(() => notifications.succeeded());
  const listener = new ClientChangeListener(opts.pool.options, cache, (error) => notifications.failed(error));
  app.addHook('onReady', async () => listener.start());
  app.addHook('onClose', () => listener.stop());
  app.decorate('apiKeyCache', cache);
  const lookups = new Batcher<string, AuthenticatedClient | null>(async (jobs) => {
    const generation = cache.generation;
    const clients = await authenticateMany(opts.pool, jobs.map((job) => job.input));
    jobs.forEach((job, i) => {
      const client = clients[i]!;
      if (client) cache.remember(job.input, client, generation);
      job.resolve(client);
    });
  }, LOOKUPS);
  app.decorateRequest('client', null);
  app.addHook('onRoute', checkRouteConfig);
  // The per-client limit runs as a preHandler, which a refused request never reaches: it is counted here instead.
  const clientLimit = app.rateLimit();

  const admit = async (request: FastifyRequest, reply: FastifyReply, client: AuthenticatedClient): Promise<void> => {
    // No roles: a route registered before this plugin, unseen by checkRouteConfig; refused rather than open.
    const { roles = [], auditRefusalAs, partnerOversight = false } = request.routeOptions.config;
    if (roles === 'any') return;
    const refusal = roleRefusal(client, roles) ?? councilRefusal(client, partnerOversight);
    if (!refusal) return;
    await clientLimit.call(app, request, reply);
    if (auditRefusalAs !== undefined) {
      // The path parameter as sent: the gate runs before it is validated.
      const { ref } = request.params as { ref: string };
      const entry = refusedEntry(client, String(request.id), new Date(), storable(ref), auditRefusalAs);
      await withAudit(opts.pool, async () => ({ result: null, entries: [entry] }));
    }
    throw refusal;
  };

  app.addHook('onRequest', async (request, reply) => {
    if (!isV1(request.routeOptions.url ?? request.url)) return;
    const key = keyFrom(request.headers);
    let client: AuthenticatedClient | null | undefined = key ? cache.lookup(key) : undefined;
    if (!client) {
      // Only keys not checked lately cost a lookup: an address past its failures gets none.
      await app.authFailures.refuseIfOver(request, reply);
      client = key ? await lookups.submit(key) : null;
    }
    if (!client) {
      await app.authFailures.count(request);
      throw new HubError('unauthorised', 'A valid API key is required');
    }
    request.client = client;
    // A /v1 URL no route matches: the not-found handler answers it.
    if (!request.is404) await admit(request, reply, client);
  });
}, { name: 'auth', dependencies: ['rate-limit'] });
