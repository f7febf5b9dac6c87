/**
 * An integer in a path or query parameter is written in decimal digits
 * (with a leading minus at most). Ajv's type coercion reads a string as
 * JavaScript's Number does, so `limit=0x10` was 16, `1e2` 100 and ` 7` 7:
 * each is refused here, before validation, as a 400 naming the parameter.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HubError } from '../errors.js';

const DECIMAL = /^-?[0-9]+$/;
const RULE = 'must be an integer written in decimal digits';

interface Schema {
  type?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
}

const hasType = (schema: Schema, type: string): boolean => schema.type === type || (Array.isArray(schema.type) && schema.type.includes(type));

/** A schema that an integer satisfies and a string does not: its value, when given, is read as an integer. */
function integer(schema: Schema): boolean {
  if (hasType(schema, 'string')) return false;
  if (hasType(schema, 'integer')) return true;
  const branches = schema.anyOf ?? schema.oneOf;
  return branches !== undefined && branches.some(integer) && !branches.some((b) => hasType(b, 'string'));
}

/** The properties of a params or querystring schema that are integers, or arrays of them (a parameter given more than once). */
function integerProperties(schema: Schema | undefined): string[] {
  if (!schema) return [];
  const names = new Set<string>();
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if (integer(property) || (hasType(property, 'array') && property.items !== undefined && integer(property.items))) names.add(name);
  }
  for (const part of [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) for (const name of integerProperties(part)) names.add(name);
  return [...names];
}

const PARTS = ['params', 'querystring'] as const;

export default fp(async function decimalIntegers(app: FastifyInstance) {
  // A route's schema is read once, on its first request.
  const known = new WeakMap<object, { part: 'params' | 'querystring'; names: string[] }[]>();
  const fieldsOf = (schema: Record<string, unknown>) => {
    let fields = known.get(schema);
    if (!fields) {
      fields = PARTS.map((part) => ({ part, names: integerProperties(schema[part] as Schema | undefined) })).filter((f) => f.names.length > 0);
      known.set(schema, fields);
    }
    return fields;
  };

  app.addHook('preValidation', (request, _reply, done) => {
    const schema = request.routeOptions.schema as Record<string, unknown> | undefined;
    if (!schema) return done();
    for (const { part, names } of fieldsOf(schema)) {
      const values = (part === 'params' ? request.params : request.query) as Record<string, unknown> | undefined;
      for (const name of names) {
        const value = values?.[name];
        const given = Array.isArray(value) ? value : [value];
        if (given.some((v) => typeof v === 'string' && !DECIMAL.test(v))) {
          return done(new HubError('validation-failed', `The request ${part} does not match the schema`, [{ path: `${part}.${name}`, message: RULE }]));
        }
      }
    }
    done();
  });
}, { name: 'decimal-integers', dependencies: ['errors'] });
