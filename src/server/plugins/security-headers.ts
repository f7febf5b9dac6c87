/**
 * Security headers (helmet's, and Cache-Control: no-store) on every
 * response. Registered before authentication, so that a refusal by any hook
 * carries them too.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';

/**
 * The headers helmet sets, read once from its middleware. Without a
 * Content-Security-Policy (the hub answers JSON, never a page) none depends
 * on the request, so every response can take the same set through Fastify's
 * reply headers: helmet writing them onto each raw response (a dozen
 * setHeader calls) cost about 4 KB of allocation a request, and put Node's
 * writeHead on its slow path for every other header.
 */
function helmetHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failed: unknown;
  helmet({ contentSecurityPolicy: false })({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    failed = error;
  });
  if (failed) throw failed;
  return headers;
}

/** Responses carry personal data: no browser or proxy may keep a copy. */
export const SECURITY_HEADERS = Object.freeze({ ...helmetHeaders(), 'cache-control': 'no-store' });

export default fp(async function securityHeaders(app: FastifyInstance) {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    done();
  });
}, { name: 'security-headers' });
