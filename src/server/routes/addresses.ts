/** Gazetteer reads: type-ahead search, one property, one street. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { Type, type Static } from 'typebox';
import { Nullable, UprnText } from '../../../schemas/common.js';
import { Address, presentAddress } from '../../gazetteer/present.js';
import { propertyByUprn, searchAddresses, streetByUsrn, successorOfRemoved } from '../../gazetteer/lookup.js';
import { errorResponses, HubError } from '../errors.js';

// Digits only: as integers, the validator's coercion took "0x10", "1e3" and " 16" for other identifiers.
const Usrn = Type.String({ pattern: '^0*[1-9][0-9]{0,7}$', maxLength: 8, description: 'USRN, 1 to 8 digits' });
const Dated = { startDate: Type.Union([Type.String(), Type.Null()]), endDate: Type.Union([Type.String(), Type.Null()]) };

const Property = Type.Object({
  uprn: Type.Integer(),
  logicalStatus: Type.Integer(),
  state: Nullable(Type.Integer()),
  blpuClass: Nullable(Type.String()),
  coordinates: Type.Object({
    x: Nullable(Type.Number()),
    y: Nullable(Type.Number()),
    latitude: Nullable(Type.Number()),
    longitude: Nullable(Type.Number()),
  }),
  ...Dated,
  addresses: Type.Array(Address, { description: 'every LPI of the property: approved, alternative, provisional and historic' }),
  classifications: Type.Array(Type.Object({ code: Type.String(), scheme: Nullable(Type.String()), ...Dated })),
  crossReferences: Type.Array(Type.Object({ crossReference: Type.String(), source: Type.String(), ...Dated })),
  organisations: Type.Array(Type.Object({ organisation: Type.String(), legalName: Nullable(Type.String()), ...Dated })),
  deliveryPoints: Type.Array(Type.Object({ udprn: Type.Integer(), postcode: Type.String() })),
  parent: Nullable(Address),
  children: Type.Array(Address),
  successorUprn: Nullable(Type.Integer({ description: 'the UPRN that replaced this one, if it was retired' })),
});

const Street = Type.Object({
  usrn: Type.Integer(),
  recordType: Nullable(Type.Integer()),
  state: Nullable(Type.Integer()),
  ...Dated,
  descriptors: Type.Array(
    Type.Object({
      description: Type.String(),
      locality: Nullable(Type.String()),
      town: Nullable(Type.String()),
      administrativeArea: Nullable(Type.String()),
      language: Type.String(),
    }),
  ),
  addressCount: Type.Integer({ description: 'approved addresses on the street' }),
  addresses: Type.Array(Address),
});

type PropertyBody = Static<typeof Property>;

const addresses: FastifyPluginAsyncTypebox<{ pool: pg.Pool }> = async (app, { pool }) => {
  app.get('/v1/addresses', {
    config: { roles: 'any' },
    schema: {
      tags: ['gazetteer'],
      summary: 'Type-ahead address search for address pickers',
      description: 'Every word typed must begin a word of the address, read as the address matcher reads words: accents and apostrophes aside, '
        + 'an abbreviation the same as its word (RD and ROAD, ST and SAINT or STREET), a postcode with or without its space. '
        + 'Current addresses rank first. A misspelling falls back to similarity.',
      querystring: Type.Object({
        q: Type.Optional(Type.String({ maxLength: 200 })),
        postcode: Type.Optional(Type.String({ maxLength: 10, description: 'a full or partial postcode' })),
        language: Type.Optional(Type.String({
          pattern: '^[A-Z]{3}$',
          description: 'BS 7666 language code (ENG, CYM, ...): a property that has a matching address in this language is given as that one (a Welsh council\'s picker in its caller\'s language)',
        })),
        limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
      }),
      response: { 200: Type.Object({ results: Type.Array(Address) }), ...errorResponses },
    },
  }, async (request) => {
    const { q, postcode, limit, language } = request.query;
    if (!q?.trim() && !postcode?.trim()) throw new HubError('bad-request', 'give q (address text), postcode, or both');
    const rows = await searchAddresses(pool, { q, postcode, limit, language });
    return { results: rows.map(presentAddress) };
  });

  app.get('/v1/addresses/:uprn', {
    config: { roles: 'any' },
    schema: {
      tags: ['gazetteer'],
      summary: 'One property: its BLPU, every address, classification, parent and children, cross references',
      params: Type.Object({ uprn: UprnText }),
      response: { 200: Property, 301: Type.Null({ description: 'the UPRN was removed; Location names its successor' }), ...errorResponses },
    },
  }, async (request, reply) => {
    const uprn = Number(request.params.uprn);
    const detail = await propertyByUprn(pool, uprn);
    if (!detail) {
      const successor = await successorOfRemoved(pool, uprn);
      if (successor !== null) return reply.code(301).header('location', `/v1/addresses/${successor}`).send(null);
      throw new HubError('not-found', `no property with UPRN ${uprn} in the gazetteer`);
    }
    const b = detail.blpu;
    const body: PropertyBody = {
      uprn,
      logicalStatus: b['logicalStatus'] as number,
      state: b['state'] as number | null,
      blpuClass: b['blpuClass'] as string | null,
      coordinates: { x: b['x'] as number | null, y: b['y'] as number | null, latitude: b['latitude'] as number | null, longitude: b['longitude'] as number | null },
      startDate: b['startDate'] as string | null,
      endDate: b['endDate'] as string | null,
      addresses: detail.addresses.map(presentAddress),
      classifications: detail.classifications as PropertyBody['classifications'],
      crossReferences: detail.crossReferences as PropertyBody['crossReferences'],
      organisations: detail.organisations as PropertyBody['organisations'],
      deliveryPoints: detail.deliveryPoints as PropertyBody['deliveryPoints'],
      parent: detail.parent ? presentAddress(detail.parent) : null,
      children: detail.children.map(presentAddress),
      successorUprn: detail.successorUprn,
    };
    return body;
  });

  app.get('/v1/streets/:usrn', {
    config: { roles: 'any' },
    schema: {
      tags: ['gazetteer'],
      summary: 'One street with its descriptors and approved addresses',
      params: Type.Object({ usrn: Usrn }),
      querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }) }),
      response: { 200: Street, ...errorResponses },
    },
  }, async (request) => {
    const usrn = Number(request.params.usrn);
    const found = await streetByUsrn(pool, usrn, request.query.limit);
    if (!found) throw new HubError('not-found', `no street with USRN ${usrn} in the gazetteer`);
    const s = found.street;
    return {
      usrn,
      recordType: s['recordType'] as number | null,
      state: s['state'] as number | null,
      startDate: s['startDate'] as string | null,
      endDate: s['endDate'] as string | null,
      descriptors: found.descriptors as Static<typeof Street>['descriptors'],
      addressCount: found.addressCount,
      addresses: found.addresses.map(presentAddress),
    };
  });
};
export default addresses;
