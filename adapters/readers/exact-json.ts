/**
 * JSON read without losing what JSON.parse loses: a number whose digits a
 * double cannot hold (a card number of 19 digits, an integer beyond 2^53)
 * is kept as its text, so that mapping reads every digit of it; a field given
 * twice in one object, which JSON.parse resolves silently to the last, is
 * reported; and every object and array keeps where it is in the text, so that
 * a record's raw payload is its text as received. The text must be JSON that
 * JSON.parse accepts: that is the check, and its messages the ones reported.
 */

export interface ExactJson {
  value: unknown;
  /** Where an object or array of the document starts and ends in the text. */
  textOf(node: object): string;
  /** The fields given more than once in this object itself. */
  duplicatesOf(node: object): readonly string[];
  /** The first field in `node` (or below it) given more than once in its object, labelled as mapping labels fields (`name.given`, `services[2].type`). */
  duplicateIn(node: object): string | null;
}

// The slower path of each string (an escape) and each number (more than an integer of 15 digits) is taken only where needed.
const STRING = /"[^"\\]*(?:\\.[^"\\]*)*"/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const SAFE_INTEGER = /^-?\d{1,15}$/;

/** A decimal as its significant digits and the exponent of their last one: 1.50e2 and 150 are both "15e1". */
function canonicalDecimal(text: string): string {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return text;
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  let digits = (whole + fraction).replace(/^0+/, '');
  if (digits === '') return '0';
  let scale = Number(exponent) - fraction.length;
  const trimmed = digits.replace(/0+$/, '');
  scale += digits.length - trimmed.length;
  digits = trimmed;
  return `${sign}${digits}e${scale}`;
}

/** The number a token denotes, or the token itself when a double does not hold its value exactly as written. */
export function exactNumber(token: string): number | string {
  const value = Number(token);
  if (SAFE_INTEGER.test(token)) return value;
  return Number.isFinite(value) && canonicalDecimal(String(value)) === canonicalDecimal(token) ? value : token;
}

export class InvalidJsonError extends Error {}

export function parseExact(text: string): ExactJson {
  const spans = new WeakMap<object, [number, number]>();
  const duplicates = new Map<object, string[]>();
  let at = 0;

  const skipSpace = (): void => {
    for (let c = text.charCodeAt(at); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = text.charCodeAt(at)) at += 1;
  };
  const fail = (): never => {
    throw new InvalidJsonError(`invalid-json at position ${at}`);
  };
  const readString = (): string => {
    STRING.lastIndex = at;
    if (!STRING.test(text)) fail();
    const token = text.slice(at, STRING.lastIndex);
    at = STRING.lastIndex;
    return token.includes('\\') ? (JSON.parse(token) as string) : token.slice(1, -1);
  };

  // Iterative, so that deep nesting cannot overflow the stack: one frame per open object or array.
  type Frame = { node: Record<string, unknown>; key: string | null; start: number } | { node: unknown[]; key: null; start: number };
  const stack: Frame[] = [];
  let root: unknown;
  let done = false;

  const place = (value: unknown): void => {
    const top = stack[stack.length - 1];
    if (!top) {
      root = value;
      done = true;
    } else if (Array.isArray(top.node)) {
      top.node.push(value);
    } else {
      const key = top.key!;
      if (Object.hasOwn(top.node, key)) {
        const keys = duplicates.get(top.node);
        if (!keys) duplicates.set(top.node, [key]);
        else if (!keys.includes(key)) keys.push(key);
      }
      // As JSON.parse does: "__proto__" is a field like any other, never the object's prototype.
      if (key === '__proto__') Object.defineProperty(top.node, key, { value, writable: true, enumerable: true, configurable: true });
      else top.node[key] = value;
      top.key = null;
    }
  };
  const close = (): void => {
    const frame = stack.pop()!;
    at += 1;
    spans.set(frame.node, [frame.start, at]);
    place(frame.node);
  };
  /** After a value inside an object or array: a comma and the next member, or the close. */
  const afterMember = (): boolean => {
    skipSpace();
    const top = stack[stack.length - 1]!;
    const c = text.charCodeAt(at);
    if (c === 0x2c) {
      at += 1;
      if (!Array.isArray(top.node)) readKey(top as Frame & { node: Record<string, unknown> });
      return true;
    }
    if (c === (Array.isArray(top.node) ? 0x5d : 0x7d)) {
      close();
      return false;
    }
    return fail();
  };
  const readKey = (frame: { key: string | null }): void => {
    skipSpace();
    if (text.charCodeAt(at) !== 0x22) fail();
    frame.key = readString();
    skipSpace();
    if (text.charCodeAt(at) !== 0x3a) fail();
    at += 1;
  };

  while (!done) {
    skipSpace();
    const c = text.charCodeAt(at);
    if (c === 0x7b) {
      const frame = { node: {} as Record<string, unknown>, key: null as string | null, start: at };
      at += 1;
      stack.push(frame);
      skipSpace();
      if (text.charCodeAt(at) === 0x7d) close();
      else {
        readKey(frame);
        continue;
      }
    } else if (c === 0x5b) {
      const frame = { node: [] as unknown[], key: null, start: at };
      at += 1;
      stack.push(frame);
      skipSpace();
      if (text.charCodeAt(at) === 0x5d) close();
      else continue;
    } else if (c === 0x22) {
      place(readString());
    } else if (c === 0x74 && text.startsWith('true', at)) {
      at += 4;
      place(true);
    } else if (c === 0x66 && text.startsWith('false', at)) {
      at += 5;
      place(false);
    } else if (c === 0x6e && text.startsWith('null', at)) {
      at += 4;
      place(null);
    } else {
      NUMBER.lastIndex = at;
      if (!NUMBER.test(text)) fail();
      const token = text.slice(at, NUMBER.lastIndex);
      at = NUMBER.lastIndex;
      place(exactNumber(token));
    }
    // Close every object and array that ends here, until one goes on with another member.
    while (!done && stack.length > 0 && !afterMember());
  }
  skipSpace();
  if (at !== text.length) fail();

  return {
    value: root,
    textOf(node) {
      const span = spans.get(node);
      if (!span) throw new Error('not a node of this document');
      return text.slice(span[0], span[1]);
    },
    duplicatesOf(node) {
      return duplicates.get(node) ?? [];
    },
    duplicateIn(node) {
      if (duplicates.size === 0) return null;
      const todo: { node: unknown; label: string }[] = [{ node, label: '' }];
      for (let i = 0; i < todo.length; i += 1) {
        const { node: n, label } = todo[i]!;
        if (Array.isArray(n)) n.forEach((child, i) => todo.push({ node: child, label: `${label}[${i + 1}]` }));
        else if (n !== null && typeof n === 'object') {
          const key = duplicates.get(n)?.[0];
          // A label is stored with the reject, and PostgreSQL text cannot hold NUL.
          if (key !== undefined) return (label ? `${label}.${key}` : key).replaceAll('\u0000', '\uFFFD');
          for (const [k, child] of Object.entries(n)) todo.push({ node: child, label: label ? `${label}.${k}` : k });
        }
      }
      return null;
    },
  };
}

/** A record giving a field twice is refused: which of its values the source meant cannot be known. */
export const duplicateField = (field: string): { reason: string; field: string; rule: string } =>
  ({ reason: 'a field given more than once in the record: which value is meant cannot be known', field, rule: 'duplicate-field' });
