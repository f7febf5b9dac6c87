/** The OpenAPI 3.1 document at /docs/json, built from the route schemas, and Swagger UI at /docs. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { CitizenView } from '../../../schemas/citizen-view.js';
import { SourceRecord } from '../../../schemas/source-record.js';

interface Parameter { in?: string; required?: boolean; schema?: { default?: unknown } }

/**
 * A query parameter with a default may be left out, but a typebox property with a default is required in the schema
 * (the default fills it in before the handler runs), so the generator marks it required: not so for callers.
 */
function withDefaultsOptional<T extends { paths?: object }>(doc: T): T {
  for (const path of Object.values(doc.paths ?? {}) as (object | undefined)[]) {
    for (const operation of Object.values(path ?? {}) as unknown[]) {
      for (const parameter of (operation as { parameters?: Parameter[] }).parameters ?? []) {
        if (parameter.in === 'query' && parameter.schema?.default !== undefined) parameter.required = false;
      }
    }
  }
  return doc;
}

export default fp(async function docs(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Citizen hub API',
        version: '1.0.0',
        description:
          'Address matching, person linkage and the single citizen view for a UK council. Every /v1 route needs an API key ' +
          '(`Authorization: Bearer chub_...`); reads of citizen data also need an `X-Purpose` header.',
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A key from `hub clients create`' } },
      },
      security: [{ apiKey: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (documents) => ('openapiObject' in documents ? withDefaultsOptional(documents.openapiObject) : documents.swaggerObject),
  });
  // The canonical model is published whole, so integrators can validate against it before pushing.
  app.addSchema(SourceRecord);
  app.addSchema(CitizenView);
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}, { name: 'docs' });
