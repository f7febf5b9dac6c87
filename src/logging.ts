/**
 * pino loggers with personal data and credentials removed before anything is
 * written. Keys that hold them are replaced at any depth, whatever their
 * spelling (Authorization, x-api-key, apiKey, API_KEY), and request URLs are
 * logged as their route pattern without query values (a search by surname, or
 * a card number in a path, must not leave them in the log).
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export const REDACTED = '[redacted]';

/** Field names that carry personal data wherever they appear in a log object. */
export const PERSONAL_FIELDS = new Set([
  'name', 'names', 'title', 'forename', 'forenames', 'given', 'family', 'preferred', 'surname', 'surnames',
  'previousSurnames', 'fullName', 'dateOfBirth', 'dob', 'birthDate', 'nhsNumber', 'nino', 'niNumber',
  'phone', 'phones', 'telephone', 'mobile', 'email', 'emails', 'address', 'addressLines', 'lines', 'line',
  'postcode', 'text', 'q', 'cardNumber', 'raw', 'payload', 'body', 'key', 'x-break-glass-reason',
]);

/** Compared without case, hyphens or underscores: headers arrive in any casing, bodies and errors in any style. */
const normalise = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');
const PERSONAL = new Set([...PERSONAL_FIELDS].map(normalise));
/** Keys of credentials under any name: API keys, webhook signing secrets, passwords, tokens, cookies. */
const CREDENTIAL = /secret|token|passw|passphrase|apikey|privatekey|authori[sz]ation|cookie|credential/;

const isCredential = (key: string): boolean => CREDENTIAL.test(normalise(key));
const isRedactedKey = (key: string): boolean => PERSONAL.has(normalise(key)) || isCredential(key);

function scrub(value: unknown, depth: number): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  // Requests, errors and other class instances go through their serializers instead.
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = isRedactedKey(key) ? REDACTED : scrub(v, depth + 1);
  }
  return out;
}

/** Words an API path is made of (v1, citizens, subject-access); any other segment of a path no route matched may be a name or a number someone pasted. */
const PATH_WORD = /^[a-z][a-z-]{0,39}[0-9]?$/;

const unmatchedPath = (path: string): string => path.split('/').map((segment) => (segment === '' || PATH_WORD.test(segment) ? segment : REDACTED)).join('/');

/**
 * A request URL as logged: the matched route's pattern (path parameters can
 * be personal: a smartcard record's source reference is its card number), or
 * the path when no route matched, but for its API words, with each query value replaced; the
 * parameter names stay for diagnosis.
 */
export function redactUrl(url: string, routePattern?: string): string {
  const q = url.indexOf('?');
  const path = routePattern ?? unmatchedPath(q < 0 ? url : url.slice(0, q));
  if (q < 0) return path;
  const params = new URLSearchParams(url.slice(q + 1));
  const keys = [...new Set(params.keys())];
  return `${path}?${keys.map((k) => `${k}=${REDACTED}`).join('&')}`;
}

/** The value a data exception (SQLSTATE class 22) quotes at the end of its message, e.g. invalid input syntax for type date: "…". */
const QUOTED_VALUE = /: "[^\n]*"(?=\n|$)/;

const withoutQuotedValue = (code: unknown, text: string): string =>
  (typeof code === 'string' && code.startsWith('22') ? text.replace(QUOTED_VALUE, `: ${REDACTED}`) : text);

/** An error's message as it may be stored or shown (an intake's error, a command's last line): a data exception's quoted value removed. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? withoutQuotedValue((error as { code?: unknown }).code, error.message) : String(error);
}

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
    for (const key of ['message', 'stack']) if (typeof e[key] === 'string') e[key] = withoutQuotedValue(e.code, e[key] as string);
    // Causes and aggregated errors are serialised errors too; anything else an error carries is scrubbed like a log object.
    const inner = (x: unknown): unknown => {
      if (typeof x !== 'object' || x === null || Object.getPrototypeOf(x) !== proto) return scrub(x, 1);
      strip(x as Record<string, unknown>);
      return x;
    };
    for (const [key, v] of Object.entries(e)) {
      // Credentials only at this level: an error's own `name` is its class, not a person's.
      e[key] = isCredential(key) ? REDACTED : Array.isArray(v) ? v.map(inner) : inner(v);
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
        req: (req: { method?: string; url?: string; id?: string; ip?: string; routeOptions?: { url?: string } }) => ({
          method: req.method,
          url: req.url ? redactUrl(req.url, req.routeOptions?.url) : undefined,
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
