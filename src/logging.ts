/**
 * pino loggers with personal data removed before anything is written. Keys
 * that hold personal data are replaced at any depth, and request URLs are
 * logged without their query values (a search by surname must not leave the
 * surname in the log).
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export const REDACTED = '[redacted]';

/** Field names that carry personal data wherever they appear in a log object. */
export const PERSONAL_FIELDS = new Set([
  'name', 'names', 'title', 'forename', 'forenames', 'given', 'family', 'preferred', 'surname', 'surnames',
  'previousSurnames', 'fullName', 'dateOfBirth', 'dob', 'birthDate', 'nhsNumber', 'nino', 'niNumber',
  'phone', 'phones', 'telephone', 'mobile', 'email', 'emails', 'address', 'addressLines', 'lines', 'line',
  'postcode', 'text', 'q', 'cardNumber', 'raw', 'payload', 'body', 'authorization', 'x-api-key', 'key', 'password',
]);

function scrub(value: unknown, depth: number): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  // Requests, errors and other class instances go through their serializers instead.
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = PERSONAL_FIELDS.has(key) ? REDACTED : scrub(v, depth + 1);
  }
  return out;
}

/** The path of a URL with each query value replaced, keeping the parameter names for diagnosis. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  const keys = [...new Set(params.keys())];
  return `${url.slice(0, q)}?${keys.map((k) => `${k}=${REDACTED}`).join('&')}`;
}

/** The value a data exception (SQLSTATE class 22) quotes at the end of its message, e.g. invalid input syntax for type date: "…". */
const QUOTED_VALUE = /: "[^\n]*"(?=\n|$)/;

/**
 * An error as pino serialises it, without what PostgreSQL quotes of the
 * values a statement failed on: DETAIL (the failing row of a check
 * constraint, a duplicate key: an audit row's break-glass reason, a register
 * record), the context of a COPY (the line's column value) and the value a
 * data exception names in its message. Its code, constraint, table and column stay.
 * Nor the bytes of a request Node's HTTP parser refused (rawPacket, logged at
 * trace by Fastify): its request line and headers, API key included.
 */
function serializeError(err: Error): unknown {
  const out = pino.stdSerializers.err(err);
  if (out === (err as unknown)) return out;
  const proto = Object.getPrototypeOf(out) as unknown;
  const strip = (e: Record<string, unknown>): void => {
    if (e.detail !== undefined) e.detail = REDACTED;
    if (e.where !== undefined) e.where = REDACTED;
    if (e.rawPacket !== undefined) e.rawPacket = REDACTED;
    if (typeof e.code === 'string' && e.code.startsWith('22')) {
      for (const key of ['message', 'stack']) if (typeof e[key] === 'string') e[key] = (e[key] as string).replace(QUOTED_VALUE, `: ${REDACTED}`);
    }
    for (const v of Object.values(e)) {
      if (Array.isArray(v)) v.forEach((x) => typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === proto && strip(x as Record<string, unknown>));
      else if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === proto) strip(v as Record<string, unknown>);
    }
  };
  strip(out as unknown as Record<string, unknown>);
  return out;
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'citizen-hub' },
      formatters: { log: (object) => scrub(object, 0) as Record<string, unknown> },
      serializers: {
        req: (req: { method?: string; url?: string; id?: string; ip?: string }) => ({
          method: req.method,
          url: req.url ? redactUrl(req.url) : undefined,
          requestId: req.id,
          remoteAddress: req.ip,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: serializeError,
      },
    },
    destination,
  );
}
