/**
 * Request bodies sent compressed: Content-Encoding gzip (or x-gzip), deflate
 * or br, or a list of them in the order they were applied, is decoded before
 * the body is parsed; any other coding is 415 `unsupported-content-encoding`
 * with Accept-Encoding naming those taken (RFC 9110 §8.4, §15.5.16). The body
 * limit bounds the decoded body: one that inflates past it (a zip bomb) is
 * 413 as soon as its output passes the limit, and is decoded no further.
 *
 * @fastify/compress decodes request bodies too, but matches a coding by case
 * (GZIP is 415), takes no list, and after its 413 goes on inflating the
 * bomb to its end.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HubError } from '../errors.js';

const DECODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};
export const ACCEPTED_ENCODINGS = 'gzip, deflate, br';
/** Codings applied one over another: more than two is no real client's doing. */
const MAX_CODINGS = 2;
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,32}$/;

/**
 * The decoded body as Fastify reads it: refused past `limit` bytes, and
 * carrying the encoded bytes read so far, which Fastify compares with
 * Content-Length (receivedEncodedLength).
 */
class Bounded extends Transform {
  receivedEncodedLength = 0;
  private decoded = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.decoded += chunk.length;
    if (this.decoded > this.limit) callback(new HubError('payload-too-large', 'The request body, decoded, is larger than this server accepts'));
    else callback(null, chunk);
  }
}

const hasBody = (headers: Record<string, string | string[] | undefined>): boolean =>
  headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');

export default fp(async function contentEncoding(app: FastifyInstance) {
  app.addHook('preParsing', (request, reply, payload, done) => {
    const header = request.headers['content-encoding'];
    if (header === undefined || !hasBody(request.headers)) return done(null, payload);
    const codings = header.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
    if (codings.length === 0) return done(null, payload);
    const unknown = codings.find((c) => !Object.hasOwn(DECODERS, c));
    if (unknown !== undefined || codings.length > MAX_CODINGS) {
      reply.header('accept-encoding', ACCEPTED_ENCODINGS);
      const what = unknown === undefined ? `${codings.length} content codings, one over another,` : TOKEN.test(unknown) ? `Content-Encoding "${unknown}"` : 'this Content-Encoding';
      return done(new HubError('unsupported-content-encoding', `${what} is not what the hub decodes: send the body as it is, or with ${MAX_CODINGS} at most of ${ACCEPTED_ENCODINGS}`));
    }
    // Applied in the order listed, so undone from the last.
    const steps = codings.reverse().map((coding) => ({ coding, decoder: DECODERS[coding]!() }));
    const out = new Bounded(request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? 1024 * 1024);
    const count = (chunk: Buffer) => {
      out.receivedEncodedLength += chunk.length;
    };
    const fail = (error: Error) => out.destroy(error);
    // Fastify listens while it reads the body; an error when nothing reads it (a body no parser takes) must not be unhandled.
    out.on('error', () => undefined);
    payload.on('data', count);
    payload.on('error', fail);
    let from: Readable = payload;
    for (const { coding, decoder } of steps) {
      decoder.on('error', () => fail(new HubError('bad-request', `The request body is not valid ${coding} data, as its Content-Encoding says it is`)));
      from = from.pipe(decoder);
    }
    from.pipe(out);
    // Refused, or the request gone: nothing more is read or decoded. The connection is closed after a refusal (Fastify), so the rest of the body is never read.
    out.once('close', () => {
      payload.off('data', count);
      payload.off('error', fail);
      payload.unpipe(steps[0]!.decoder);
      for (const { decoder } of steps) decoder.destroy();
    });
    done(null, out);
  });
}, { name: 'content-encoding', dependencies: ['errors'] });
