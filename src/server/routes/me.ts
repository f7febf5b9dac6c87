/** The calling client as the hub knows it: a quick check that a key works. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Role } from '../../../schemas/roles.js';
import { errorResponses } from '../errors.js';
import { clientOf } from '../plugins/auth.js';

const me: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/v1/me', {
    config: { roles: 'any' },
    schema: {
      tags: ['clients'],
      summary: 'The API client this key belongs to',
      response: {
        200: Type.Object({
          clientId: Type.Integer(),
          organisation: Type.String(),
          role: Role,
          systems: Type.Array(Type.String()),
        }),
        ...errorResponses,
      },
    },
  }, async (request) => {
    const client = clientOf(request);
    return { clientId: client.id, organisation: client.orgName, role: client.role, systems: client.systems };
  });
};
export default me;
