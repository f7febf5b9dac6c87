/** Liveness and readiness for load balancers and orchestrators. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { Type } from 'typebox';
import { pendingMigrations } from '../../db/migrate.js';

const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not-ready')]),
  checks: Type.Object({
    database: Type.Union([Type.Literal('ok'), Type.Literal('unreachable')]),
    migrations: Type.Union([Type.Literal('ok'), Type.Literal('pending'), Type.Literal('unknown')]),
  }),
});

const health: FastifyPluginAsyncTypebox<{ pool: pg.Pool }> = async (app, { pool }) => {
  app.get('/health', {
    schema: {
      tags: ['operations'],
      summary: 'Liveness: the process answers',
      security: [],
      response: { 200: Type.Object({ status: Type.Literal('ok') }) },
    },
  }, async () => ({ status: 'ok' as const }));

  app.get('/ready', {
    schema: {
      tags: ['operations'],
      summary: 'Readiness: the database is reachable and every migration is applied',
      security: [],
      // A probe that arrives while the hub stops is answered the shutting-down problem (app.ts) instead.
      response: { 200: Readiness, 503: Type.Union([Readiness, Type.Ref('Problem')]) },
    },
  }, async (_request, reply) => {
    let database: 'ok' | 'unreachable' = 'ok';
    let migrations: 'ok' | 'pending' | 'unknown' = 'unknown';
    try {
      await pool.query('SELECT 1');
      migrations = (await pendingMigrations(pool)).length === 0 ? 'ok' : 'pending';
    } catch {
      database = 'unreachable';
    }
    const ready = database === 'ok' && migrations === 'ok';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks: { database, migrations } });
  });
};
export default health;
