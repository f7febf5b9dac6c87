/** One error handler: every failure leaves as application/problem+json with a stable code. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { AuditTrailDamaged, ChainPointMismatch } from '../../audit/store.js';
import { ERROR_CODES, HubError, Problem, problemType, type ErrorCode } from '../errors.js';
import { databaseUnreachable, errorSummary } from '../unavailable.js';
import { SECURITY_HEADERS } from './security-headers.js';

/** Seconds a client refused while the database is out of reach waits: a restarting PostgreSQL takes a few. */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

const TITLES: Record<ErrorCode, string> = {
  'bad-request': 'Bad request',
  'validation-failed': 'The request is not valid',
  'purpose-required': 'A purpose is required',
  'forbidden-property-name': 'A property name is refused',
  unauthorised: 'Unauthorised',
  forbidden: 'Forbidden',
  'council-organisation-required': 'A council organisation is required',
  'not-found': 'Not found',
  'method-not-allowed': 'Method not allowed',
  conflict: 'Conflict',
  'agreement-ended': 'The agreement has ended',
  'status-transition-not-allowed': 'The status cannot change so',
  'decision-contradicts-input': 'The decision contradicts the address',
  'payload-too-large': 'Payload too large',
  'unsupported-media-type': 'Unsupported media type',
  'unsupported-content-encoding': 'Unsupported content encoding',
  'rate-limited': 'Too many requests',
  'internal-error': 'Internal error',
  'audit-trail-damaged': 'The audit trail is damaged',
  'service-unavailable': 'Service unavailable',
  'shutting-down': 'Shutting down',
};

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

function classify(error: FastifyError | HubError, databaseHosts: ReadonlySet<string>): { code: ErrorCode; detail: string; errors?: Problem['errors'] } {
  if (error instanceof HubError) return { code: error.code, detail: error.message, errors: error.errors };
  // The audit store's own errors, wherever they surface (verify, DPO listings, subject access).
  if (error instanceof ChainPointMismatch) return { code: 'bad-request', detail: error.message };
  if (error instanceof AuditTrailDamaged) return { code: 'audit-trail-damaged', detail: error.message };
  if (databaseUnreachable(error, databaseHosts)) return { code: 'service-unavailable', detail: 'The database cannot be reached just now; retry shortly' };
  const fe = error as FastifyError;
  if (fe.validation) {
    return {
      code: 'validation-failed',
      detail: `The request ${fe.validationContext ?? 'input'} does not match the schema`,
      errors: fe.validation.map((v) => {
        const path = `${fe.validationContext ?? ''}${v.instancePath || ''}`.replace(/\//g, '.') || '.';
        const unknown = v.keyword === 'additionalProperties' ? (v.params as { additionalProperty?: unknown }).additionalProperty : undefined;
        // Named only when it reads as a field name (a misspelt one, most likely): other text could be anything, personal data included.
        if (typeof unknown === 'string' && FIELD_NAME.test(unknown)) return { path: `${path}.${unknown}`, message: 'is not a property this object takes' };
        return { path, message: v.message ?? 'is not valid' };
      }),
    };
  }
  switch (fe.statusCode) {
    case 413: return { code: 'payload-too-large', detail: 'The request body is larger than this server accepts' };
    case 415: return { code: 'unsupported-media-type', detail: 'The request content type is not supported here' };
    case 429: return { code: 'rate-limited', detail: 'Too many requests for this client; slow down and retry later' };
    case 404: return { code: 'not-found', detail: 'No such resource' };
    case 401: return { code: 'unauthorised', detail: 'A valid API key is required' };
    case 403: return { code: 'forbidden', detail: 'This client may not do that' };
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { code: 'bad-request', detail: fe.message };
  }
  return { code: 'internal-error', detail: 'Something went wrong on the server; the request id identifies it in the logs' };
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  code: ErrorCode,
  detail: string,
  errors?: Problem['errors'],
): FastifyReply {
  const status = ERROR_CODES[code];
  const body: Problem = {
    type: problemType(code),
    title: TITLES[code],
    status,
    code,
    detail,
    instance: request.url.split('?')[0] ?? request.url,
    requestId: String(request.id),
    ...(errors?.length ? { errors } : {}),
  };
  return reply.code(status).type('application/problem+json').send(body);
}

/**
 * What the router refuses before any hook runs (Fastify's frameworkErrors):
 * a path that is not valid percent-encoding, or a path parameter longer than
 * the router takes. Fastify's own answer was plain JSON quoting the whole
 * URL, query included, without the hooks' headers.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.headers(SECURITY_HEADERS).header('x-request-id', request.id);
  request.log.info({ code: error.code }, 'request refused');
  return error.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? sendProblem(request, reply, 'not-found', 'No such resource')
    : sendProblem(request, reply, 'bad-request', 'The request path is not valid percent-encoding');
}

/** databaseHosts: the database's host names (databaseHosts in unavailable.ts), whose DNS failures are the database out of reach. */
export default fp(async function errors(app: FastifyInstance, opts: { databaseHosts?: ReadonlySet<string> }) {
  const databaseHosts = opts.databaseHosts ?? new Set<string>();
  app.addSchema(Problem);
  app.setErrorHandler((error: FastifyError | HubError, request, reply) => {
    const { code, detail, errors } = classify(error, databaseHosts);
    if (code === 'service-unavailable') {
      // Without a stack: every request fails so while it lasts, and where each was says nothing of the outage.
      request.log.warn(errorSummary(error), 'request refused: the database cannot be reached');
      reply.header('retry-after', UNAVAILABLE_RETRY_AFTER_S);
    } else if (ERROR_CODES[code] >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code }, 'request refused');
    if (code === 'unauthorised') reply.header('www-authenticate', 'Bearer');
    return sendProblem(request, reply, code, detail, errors);
  });
  // Fastify's router answers only whether a method and path have a route: a second router, of every route's
  // method and pattern, finds which methods a path has, for a 405 with Allow instead of a 404.
  const paths = FindMyWay();
  const methods = new Set<HTTPMethod>();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat() as HTTPMethod[]) {
      if (paths.hasRoute(method, route.url)) continue;
      paths.on(method, route.url, () => undefined, { pattern: route.url });
      methods.add(method);
    }
  });
  app.setNotFoundHandler((request, reply) => {
    const found = [...methods].map((method) => [method, paths.find(method, request.url)?.store as { pattern: string } | undefined] as const).filter(([, store]) => store);
    const allowed = found.map(([method]) => method).sort();
    // A route that calls the not-found handler itself has the method asked for: that is a 404.
    if (allowed.length > 0 && !allowed.includes(request.method as HTTPMethod)) {
      reply.header('allow', allowed.join(', '));
      // Named by its pattern: a path parameter may be a citizen's reference or a card number.
      return sendProblem(request, reply, 'method-not-allowed', `${request.method} is not a method of ${found[0]![1]!.pattern}: it has ${allowed.join(', ')}`);
    }
    return sendProblem(request, reply, 'not-found', `No route ${request.method} ${request.url.split('?')[0]}`);
  });
}, { name: 'errors' });
