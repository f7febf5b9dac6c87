/** Per-client rate limits (per address before a client is known). */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HubError } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Requests refused for want of a valid key, per address: the auth hook
     * refuses before it looks a key up, and counts each refusal.
     */
    authFailures: {
      refuseIfOver(request: FastifyRequest, reply: FastifyReply): Promise<void>;
      count(request: FastifyRequest): Promise<void>;
    };
  }
}

export default fp(async function rateLimits(app: FastifyInstance, opts: { rateLimitPerMinute: number }) {
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: opts.rateLimitPerMinute,
    timeWindow: '1 minute',
    keyGenerator: (request) => (request.client ? `client:${request.client.id}` : `ip:${request.ip}`),
    errorResponseBuilder: () => new HubError('rate-limited', 'Too many requests for this client; slow down and retry later'),
  });
  // A refused request never reaches the preHandler limit above: without this, keys could be guessed, and
  // looked up in the database, without end.
  const failures = app.createRateLimit({ keyGenerator: (request) => `ip:${request.ip}` });
  app.decorate('authFailures', {
    async refuseIfOver(request: FastifyRequest, reply: FastifyReply) {
      const state = await failures(request, { increment: false });
      if (state.isAllowed || state.remaining > 0) return;
      reply.header('retry-after', state.ttlInSeconds);
      throw new HubError('rate-limited', 'Too many requests for this client; slow down and retry later');
    },
    async count(request: FastifyRequest) {
      await failures(request);
    },
  });
}, { name: 'rate-limit' });
