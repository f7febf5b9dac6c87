/**
 * Text PostgreSQL cannot store: a string holding the NUL character (U+0000)
 * anywhere in the body, query or path parameters is refused as a 400 naming
 * where it is, before any route sees it (the database would refuse it with
 * a 500). The value is never echoed: it may be personal data.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HubError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route checks its body itself: the push intake rejects the record holding NUL and takes in the rest of the batch. */
    nulCheckedByRoute?: boolean;
  }
}

const NUL = '\u0000';
const NUL_RULE = 'must not contain the NUL character (U+0000)';

interface Frame {
  node: unknown[] | Record<string, unknown>;
  parent: Frame | null;
  key: string;
}

const pathOf = (frame: Frame, key?: string): string => {
  const parts = key === undefined ? [] : [key];
  for (let f: Frame | null = frame; f; f = f.parent) parts.push(f.key);
  return parts.reverse().join('.');
};

/** Arrays and objects (parsed JSON, parsed query and parameters) are walked; a Buffer body is not text. */
function container(value: unknown): value is unknown[] | Record<string, unknown> {
  return value !== null && typeof value === 'object' && !ArrayBuffer.isView(value);
}

/**
 * The first string or property name holding NUL in `value`, as a path from
 * `root` in the error handler's format (body.records.0.surname). Iterative,
 * so that deeply nested JSON cannot overflow the stack; only containers are
 * pushed, strings are checked in place.
 */
export function findNul(value: unknown, root: string): { path: string; message: string } | null {
  if (typeof value === 'string') return value.includes(NUL) ? { path: root, message: NUL_RULE } : null;
  if (!container(value)) return null;
  const stack: Frame[] = [{ node: value, parent: null, key: root }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const { node } = frame;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child = node[i];
        if (typeof child === 'string') {
          if (child.includes(NUL)) return { path: pathOf(frame, String(i)), message: NUL_RULE };
        } else if (container(child)) stack.push({ node: child, parent: frame, key: String(i) });
      }
      continue;
    }
    for (const key of Object.keys(node)) {
      if (key.includes(NUL)) return { path: pathOf(frame), message: `property names ${NUL_RULE}` };
      const child = node[key];
      if (typeof child === 'string') {
        if (child.includes(NUL)) return { path: pathOf(frame, key), message: NUL_RULE };
      } else if (container(child)) stack.push({ node: child, parent: frame, key });
    }
  }
  return null;
}

export default fp(async function nul(app: FastifyInstance) {
  app.addHook('preValidation', (request, _reply, done) => {
    // A URL carries NUL only percent-encoded (the HTTP parser refuses a raw one): most requests skip the walk.
    const inUrl = request.url.includes('%00');
    const found = (inUrl ? findNul(request.params, 'params') ?? findNul(request.query, 'querystring') : null)
      ?? (request.body !== undefined && !request.routeOptions.config.nulCheckedByRoute ? findNul(request.body, 'body') : null);
    if (!found) return done();
    const where = found.path.split('.')[0]!;
    done(new HubError('validation-failed', `The request ${where} holds the NUL character (U+0000), which no text may contain`, [found]));
  });
}, { name: 'nul', dependencies: ['errors'] });
