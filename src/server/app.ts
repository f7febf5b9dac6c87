/** The Fastify application: plugins for cross-cutting concerns, one plugin per API area. */
import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import type pg from 'pg';
import '../db/types.js';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import authPlugin from './plugins/auth.js';
import contentEncodingPlugin from './plugins/content-encoding.js';
import decimalIntegersPlugin from './plugins/decimal-integers.js';
import strictQueryPlugin from './plugins/strict-query.js';
import docsPlugin from './plugins/docs.js';
import errorsPlugin, { answerFrameworkError, sendProblem } from './plugins/errors.js';
import jsonBodyPlugin from './plugins/json-body.js';
import metricsPlugin from './plugins/metrics.js';
import nulPlugin from './plugins/nul.js';
import rateLimitPlugin from './plugins/rate-limit.js';
import securityHeadersPlugin from './plugins/security-headers.js';
import type { Mapping } from '../../adapters/mapping/index.js';
import { AddressMatcher } from '../addresses/matcher.js';
import { AuditSealer } from '../audit/store.js';
import type { CitizenSource } from '../citizens/source.js';
import type { MappingFiles } from '../intake/systems.js';
import { LinkedCitizenSource } from '../linkage/citizen-source.js';
import { policyOptions } from '../policy/options.js';
import auditRoutes from './routes/audit.js';
import citizenRoutes from './routes/citizens.js';
import peopleRoutes from './routes/people.js';
import registerRoutes from './routes/register.js';
import addressMatchingRoutes from './routes/address-matching.js';
import addressRoutes from './routes/addresses.js';
import healthRoutes from './routes/health.js';
import meRoutes from './routes/me.js';
import sourceRoutes from './routes/sources.js';
import subscriptionRoutes from './routes/subscriptions.js';
import { databaseHosts, FailureLog } from './unavailable.js';

export interface AppDeps {
  config: Pick<Config, 'bodyLimit' | 'rateLimitPerMinute'> & Partial<Pick<Config, 'pushBatchMax' | 'extraPurposes' | 'nicknamesFile' | 'trustProxy'>>;
  pool: pg.Pool;
  logger: Logger;
  /** Shared with the pipeline workers of the same process; one is made when not given. */
  matcher?: AddressMatcher;
  /** Where citizen reads come from; the linkage tables when not given. */
  citizens?: CitizenSource;
  /** Hands newly stored source records to the pipeline. */
  onAccepted?: (sourceRecordIds: number[], db: pg.PoolClient) => Promise<void>;
  /** The source systems records are pushed to, with their mappings (mappingFilesOf); the shipped ones when not given. */
  mappingFiles?: MappingFiles;
  /** Mappings already read, by system (the council's own, read at start: councilSystemsOf); the others are read on first use. */
  mappings?: Readonly<Record<string, Mapping>>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/** Seconds a client refused during shutdown waits: enough for a load balancer to notice, or for a restart. */
const SHUTDOWN_RETRY_AFTER_S = 5;

/** Fastify's types take no number of hops, though proxy-addr does: the same as its function. */
const trustedProxies = (trust: Config['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) =>
  typeof trust === 'number' ? (_address, hop) => hop < trust : trust;

export async function buildApp(deps: AppDeps) {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.config.bodyLimit,
    trustProxy: trustedProxies(deps.config.trustProxy ?? false),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
    // Its 503 is plain JSON written past every hook: the hook below answers a problem instead.
    return503OnClosing: false,
    frameworkErrors: answerFrameworkError,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // While closing, answers in flight tell keep-alive clients to hang up, so shutdown does not wait on idle sockets.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });

  await app.register(errorsPlugin, { databaseHosts: databaseHosts(deps.pool) });
  await app.register(contentEncodingPlugin);
  await app.register(jsonBodyPlugin);
  await app.register(docsPlugin);
  await app.register(securityHeadersPlugin);
  // After the security headers, before rate limits and authentication: a stopping process does no work for a request.
  app.addHook('onRequest', async (request, reply) => {
    if (!closing) return;
    reply.header('retry-after', SHUTDOWN_RETRY_AFTER_S);
    return sendProblem(request, reply, 'shutting-down', 'This server is shutting down; retry shortly');
  });
  // Before auth, which counts refused keys with it; its limit per client reads request.client only per request.
  await app.register(rateLimitPlugin, { rateLimitPerMinute: deps.config.rateLimitPerMinute });
  await app.register(authPlugin, { pool: deps.pool });
  await app.register(metricsPlugin);
  await app.register(nulPlugin);
  await app.register(decimalIntegersPlugin);
  await app.register(strictQueryPlugin);
  await app.register(healthRoutes, { pool: deps.pool });
  await app.register(meRoutes);
  await app.register(addressMatchingRoutes, { pool: deps.pool, matcher: deps.matcher ?? new AddressMatcher(deps.pool) });
  await app.register(addressRoutes, { pool: deps.pool });
  const source = deps.citizens ?? new LinkedCitizenSource(deps.pool);
  const policy = policyOptions({ extraPurposes: deps.config.extraPurposes ?? [] });
  await app.register(peopleRoutes, { pool: deps.pool, nicknamesFile: deps.config.nicknamesFile ?? null });
  await app.register(registerRoutes, { pool: deps.pool, source, policy, ...(deps.mappingFiles ? { mappingFiles: deps.mappingFiles } : {}) });
  await app.register(citizenRoutes, { pool: deps.pool, source, policy });
  // Sealed here, not by the audit routes' own sealer: an outage is logged once, and its end too.
  await app.register(auditRoutes, { pool: deps.pool, source, sealIntervalMs: 0 });
  const sealer = backgroundSealer(deps.pool, deps.logger);
  app.addHook('onReady', async () => void sealer.start());
  app.addHook('onClose', () => sealer.stop());
  await app.register(subscriptionRoutes, { pool: deps.pool, policy });
  await app.register(sourceRoutes, {
    pool: deps.pool, pushBatchMax: deps.config.pushBatchMax ?? 1000, ...(deps.onAccepted ? { onAccepted: deps.onAccepted } : {}),
    ...(deps.mappingFiles ? { mappingFiles: deps.mappingFiles } : {}),
    ...(deps.mappings ? { mappings: deps.mappings } : {}),
  });
  return app;
}

/** Seals the audit trail every pass (150 ms), its failures logged when they start and when they end. */
export function backgroundSealer(pool: pg.Pool, logger: Logger): AuditSealer {
  const failures = new FailureLog(logger, 'audit sealing', 'error', databaseHosts(pool));
  return new AuditSealer(pool, (error) => failures.failed(error), undefined, () => failures.succeeded());
}

export type HubApp = Awaited<ReturnType<typeof buildApp>>;
