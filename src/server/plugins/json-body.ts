/**
 * JSON bodies, parsed by Fastify's own parser, which refuses a `__proto__`
 * property, or a `constructor` holding `prototype` (prototype poisoning),
 * with the same "not valid JSON" as a syntax error. Such a body is valid
 * JSON: it is told so, as 400 `forbidden-property-name` naming where the
 * property is.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HubError } from '../errors.js';

export type JsonBodyParser = (request: FastifyRequest, body: string, done: (error: Error | null, body?: unknown) => void) => void;

/** A key named in a path as it is only when it reads as a field name: other text could be anything, personal data included. */
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const has = (value: object, key: string): boolean => Object.prototype.hasOwnProperty.call(value, key);

/** Where the first property Fastify's parser refuses is, in a body that parses as JSON; null if it does not parse. */
function poisonedProperty(text: string): { path: string; message: string } | null {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return null;
  }
  const stack: { node: unknown; path: string }[] = [{ node: value, path: 'body' }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { node, path } = item;
    if (typeof node !== 'object' || node === null) continue;
    if (has(node, '__proto__')) return { path, message: 'has a property named "__proto__", refused as prototype poisoning' };
    const ctor = (node as Record<string, unknown>).constructor;
    if (has(node, 'constructor') && typeof ctor === 'object' && ctor !== null && has(ctor, 'prototype')) {
      return { path: `${path}.constructor`, message: 'has a property named "prototype" in "constructor", refused as prototype poisoning' };
    }
    for (const [key, child] of Object.entries(node)) {
      if (typeof child === 'object' && child !== null) stack.push({ node: child, path: `${path}.${Array.isArray(node) || FIELD_NAME.test(key) ? key : '*'}` });
    }
  }
  return null;
}

/** Fastify's JSON parser of `app`, its refusal of a poisoned body told apart from a syntax error. */
export function jsonBodyParser(app: FastifyInstance): JsonBodyParser {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (request, body, done) => parse(request, body, (error, value) => {
    if ((error as { code?: string } | null)?.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      const poisoned = poisonedProperty(body);
      if (poisoned) {
        return done(new HubError('forbidden-property-name', 'The body is valid JSON, but a property it names could change the objects the server builds from it (prototype poisoning): rename or remove it', [poisoned]));
      }
    }
    done(error, value);
  });
}

export default fp(async function jsonBody(app: FastifyInstance) {
  const parser = jsonBodyParser(app);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => parser(request, body as string, done));
}, { name: 'json-body', dependencies: ['errors'] });
