/** Per-client rate limits (per address before a client is known). */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HubError } from '../errors.js';

export default fp(async function rateLimits(app: FastifyInstance, opts: { rateLimitPerMinute: number }) {
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: opts.rateLimitPerMinute,
    timeWindow: '1 minute',
    keyGenerator: (request) => (request.client ? `client:${request.client.id}` : `ip:${request.ip}`),
    errorResponseBuilder: () => new HubError('rate-limited', 'Too many requests for this client; slow down and retry later'),
  });
}, { name: 'rate-limit', dependencies: ['auth'] });
