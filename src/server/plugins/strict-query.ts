/**
 * A query parameter a route does not take is refused (400, naming it), on
 * every route with a querystring schema that does not say otherwise. Ignored,
 * a misspelt filter widens what is listed (`?intak=5` listed every intake's
 * rejects) and a misspelt `after` gives the first page for ever.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export default fp(async function strictQuery(app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    const query = route.schema?.querystring as Record<string, unknown> | undefined;
    if (!query || query.type !== 'object' || 'additionalProperties' in query) return;
    // A copy: a schema object may be shared with another route or with the API docs.
    route.schema = { ...route.schema, querystring: { ...query, additionalProperties: false } };
  });
}, { name: 'strict-query' });
