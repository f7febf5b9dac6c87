/** Prometheus metrics at /metrics: process defaults plus request latency per route. */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Type } from 'typebox';

export default fp(async function metrics(app: FastifyInstance) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hub_' });
  const duration = new Histogram({
    name: 'hub_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  if (app.hasDecorator('apiKeyCache')) {
    const cache = app.apiKeyCache;
    new Gauge({
      name: 'hub_api_key_cache_listening', help: '1 while API key changes are heard and checked keys are remembered, else 0 (every key looked up)',
      registers: [registry], collect() { this.set(cache.listening ? 1 : 0); },
    });
    new Counter({
      name: 'hub_api_key_cache_hits_total', help: 'Requests authenticated from keys checked lately, without a query',
      registers: [registry], collect() { this.reset(); this.inc(cache.hits); },
    });
  }
  app.decorate('metrics', registry);
  app.addHook('onResponse', async (request, reply) => {
    duration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get('/metrics', {
    schema: {
      tags: ['operations'],
      summary: 'Prometheus metrics',
      response: { 200: Type.String({ description: 'Prometheus text exposition format' }) },
    },
  }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}, { name: 'metrics' });

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}
