/** Every /v1 route needs a valid API key; the same 401 for a missing, malformed, unknown or revoked key. */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type pg from 'pg';
import { ClientCache, ClientChangeListener } from '../../auth/client-cache.js';
import { withAudit } from '../../audit/store.js';
import { authenticateMany, type AuthenticatedClient } from '../../auth/clients.js';
import { Batcher } from '../../db/batcher.js';
import { refusedEntry } from '../../register/change-entry.js';
import type { Role } from '../../../schemas/roles.js';
import { HubError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    client: AuthenticatedClient | null;
  }
  interface FastifyInstance {
    /** Keys checked lately (src/auth/client-cache.ts): its state for /metrics and tests. */
    apiKeyCache: ClientCache;
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

export function requireRole(client: AuthenticatedClient, roles: readonly Role[]): void {
  if (!roles.includes(client.role)) {
    throw new HubError('forbidden', `This operation needs one of the roles: ${roles.join(', ')}`);
  }
}

/**
 * requireRole for a request about one citizen: a refusal is a denial of
 * access to that person, recorded in the audit trail (as `action`, decision
 * deny) before the 403 is answered.
 */
export async function requireRoleAudited(
  pool: pg.Pool, client: AuthenticatedClient, roles: readonly Role[], about: { citizenRef: string; action: string; requestId: string; at: Date },
): Promise<void> {
  if (roles.includes(client.role)) return;
  await withAudit(pool, async () => ({ result: null, entries: [refusedEntry(client, about.requestId, about.at, about.citizenRef, about.action)] }));
  requireRole(client, roles);
}

/**
 * Keys not in the cache, of requests that arrive while lookups run, are
 * looked up together, one query per batch instead of one per request.
 */
const LOOKUPS = { concurrency: 2, maxBatch: 64 };

export default fp(async function auth(app: FastifyInstance, opts: { pool: pg.Pool }) {
  const cache = new ClientCache();
  const listener = new ClientChangeListener(opts.pool.options, cache, (error) => app.log.warn({ err: error }, 'API key cache: change notifications lost, reconnecting'));
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
  });
}, { name: 'auth', dependencies: ['rate-limit'] });
