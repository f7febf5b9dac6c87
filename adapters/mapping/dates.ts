/**
 * Dates in the formats a mapping states. A format is built from the tokens
 * YYYY, MM, M, DD, D, HH, mm, ss and literal separators; `ISO` accepts
 * ISO 8601 dates and date-times. DD and MM need two digits, D and M allow
 * one or two. A date must exist in the calendar: 31/02/1990 is refused, not
 * rolled over to March.
 */
export type DateResult = { ok: true; value: string } | { ok: false; rule: 'date-format' | 'date-invalid' };

interface CompiledFormat {
  source: string;
  pattern: RegExp;
  tokens: string[];
}

const TOKEN = /YYYY|MM|DD|HH|mm|ss|M|D/g;
const TOKEN_PATTERN: Record<string, string> = { YYYY: '(\\d{4})', MM: '(\\d{2})', DD: '(\\d{2})', HH: '(\\d{2})', mm: '(\\d{2})', ss: '(\\d{2})', M: '(\\d{1,2})', D: '(\\d{1,2})' };
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const cache = new Map<string, CompiledFormat>();

export class DateFormatError extends Error {}

/** Check a format at mapping load; throws DateFormatError naming what is missing. */
export function compileFormat(format: string): CompiledFormat {
  const known = cache.get(format);
  if (known) return known;
  const tokens: string[] = [];
  let pattern = '';
  let last = 0;
  for (const m of format.matchAll(TOKEN)) {
    pattern += escape(format.slice(last, m.index)) + TOKEN_PATTERN[m[0]];
    tokens.push(m[0]);
    last = m.index + m[0].length;
  }
  pattern += escape(format.slice(last));
  if (format !== 'ISO') {
    for (const needed of [['YYYY'], ['MM', 'M'], ['DD', 'D']]) {
      if (!needed.some((t) => tokens.includes(t))) throw new DateFormatError(`date format "${format}" has no ${needed.join(' or ')}`);
    }
  }
  const compiled = { source: format, pattern: new RegExp(`^${pattern}$`), tokens };
  cache.set(format, compiled);
  return compiled;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function isRealDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

interface Parts {
  y: number;
  m: number;
  d: number;
  hh: number;
  mi: number;
  ss: number;
  offset: string | null;
}

function partsOf(text: string, format: string): Parts | null {
  if (format === 'ISO') {
    const m = ISO.exec(text);
    if (!m) return null;
    return { y: +m[1]!, m: +m[2]!, d: +m[3]!, hh: +(m[4] ?? 0), mi: +(m[5] ?? 0), ss: +(m[6] ?? 0), offset: m[7] ?? null };
  }
  const f = compileFormat(format);
  const m = f.pattern.exec(text);
  if (!m) return null;
  const p: Parts = { y: 0, m: 0, d: 0, hh: 0, mi: 0, ss: 0, offset: null };
  f.tokens.forEach((token, i) => {
    const n = Number(m[i + 1]);
    if (token === 'YYYY') p.y = n;
    else if (token === 'MM' || token === 'M') p.m = n;
    else if (token === 'DD' || token === 'D') p.d = n;
    else if (token === 'HH') p.hh = n;
    else if (token === 'mm') p.mi = n;
    else p.ss = n;
  });
  return p;
}

function parseParts(text: string, formats: readonly string[]): Parts | DateResult {
  const trimmed = text.trim();
  for (const format of formats) {
    const p = partsOf(trimmed, format);
    if (!p) continue;
    if (!isRealDate(p.y, p.m, p.d) || p.hh > 23 || p.mi > 59 || p.ss > 59) return { ok: false, rule: 'date-invalid' };
    return p;
  }
  return { ok: false, rule: 'date-format' };
}

/** A calendar date as YYYY-MM-DD. */
export function parseDate(text: string, formats: readonly string[]): DateResult {
  const p = parseParts(text, formats);
  if ('ok' in p) return p;
  return { ok: true, value: `${pad(p.y, 4)}-${pad(p.m)}-${pad(p.d)}` };
}

/**
 * A moment as an ISO 8601 date-time in UTC. A source time without an offset
 * is read as UTC: extracts from one system are then ordered consistently,
 * which is what sourceUpdatedAt is for.
 */
export function parseDateTime(text: string, formats: readonly string[]): DateResult {
  const p = parseParts(text, formats);
  if ('ok' in p) return p;
  const local = `${pad(p.y, 4)}-${pad(p.m)}-${pad(p.d)}T${pad(p.hh)}:${pad(p.mi)}:${pad(p.ss)}`;
  if (!p.offset || p.offset === 'Z') return { ok: true, value: `${local}Z` };
  const offset = p.offset.length === 5 ? `${p.offset.slice(0, 3)}:${p.offset.slice(3)}` : p.offset;
  return { ok: true, value: new Date(`${local}${offset}`).toISOString().replace(/\.000Z$/, 'Z') };
}
