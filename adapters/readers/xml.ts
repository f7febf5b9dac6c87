/**
 * XML reader. fast-xml-parser has no streaming mode, so the file is cut into
 * records here: a small tag scanner walks the stream, finds each element at
 * the record path and hands only that element's text to the parser. Memory
 * stays at one record whatever the file size.
 *
 * Hostile XML is refused outright: any DOCTYPE or markup declaration
 * (<!ENTITY, <!ELEMENT...) stops the file with an error, which rules out
 * entity expansion ("billion laughs") and external entities. Records deeper
 * than maxDepth or larger than maxRecordSize are reported and skipped.
 *
 * A malformed record (an unescaped '<' in a value, a tag never closed) is
 * rejected alone: the scanner keeps the stack of open elements, so that the
 * record's own end tag still ends it, and a record never closed ends where
 * the next record starts (or where an element above the records ends).
 */
import { XMLParser, XMLValidator, type EntityDecoderOptions } from 'fast-xml-parser';
import { decodeText, encodingProblem, unmarkedUtf16, UNMARKED_UTF16 } from './decode.js';
import type { XmlOptions } from './options.js';
import type { ByteSource, Position, ReadContext, ReadItem } from './types.js';

const DEFAULT_MAX_DEPTH = 32;
const DEFAULT_MAX_RECORD_SIZE = 1_000_000;
/** Elements above the records (Export/Tenancies/...) may nest this deep before the file is refused. */
const MAX_OUTER_DEPTH = 64;
/** Text already dealt with is forgotten once it grows past this; dropping after every tag costs more. */
const KEEP = 1 << 16;

export const HOSTILE_XML = 'hostile-xml: DOCTYPE and entity declarations are refused (entity expansion and external entities are not allowed)';

type Tag =
  | { kind: 'start'; name: string; selfClosing: boolean; from: number; to: number }
  | { kind: 'end'; name: string; from: number; to: number }
  | { kind: 'other'; from: number; to: number }
  /** Markup broken off by a '<' before its '>': the next tag starts at `to`. */
  | { kind: 'bad'; from: number; to: number }
  | { kind: 'declaration'; from: number };

/** A growing window over the decoded text; `drop` forgets what has been dealt with. */
class Window {
  text = '';
  /** Line number of text[0]. */
  firstLine = 1;
  private done = false;
  constructor(private readonly chunks: AsyncIterator<string>) {}

  async more(): Promise<boolean> {
    if (this.done) return false;
    const r = await this.chunks.next();
    if (r.done) {
      this.done = true;
      return false;
    }
    this.text += r.value;
    return true;
  }

  async indexOf(s: string, from: number): Promise<number> {
    for (;;) {
      const i = this.text.indexOf(s, from);
      if (i !== -1) return i;
      from = Math.max(from, this.text.length - s.length + 1);
      if (!(await this.more())) return -1;
    }
  }

  async ensure(end: number): Promise<boolean> {
    while (this.text.length < end) if (!(await this.more())) return false;
    return true;
  }

  private counted = { offset: 0, line: 1 };

  /** Line of an offset; counting resumes from the last offset asked, as offsets mostly move forward. */
  lineAt(offset: number): number {
    const from = this.counted.offset <= offset ? this.counted : { offset: 0, line: this.firstLine };
    let n = from.line;
    for (let i = this.text.indexOf('\n', from.offset); i !== -1 && i < offset; i = this.text.indexOf('\n', i + 1)) n += 1;
    this.counted = { offset, line: n };
    return n;
  }

  drop(upTo: number): void {
    this.firstLine = this.lineAt(upTo);
    this.text = this.text.slice(upTo);
    this.counted = { offset: 0, line: this.firstLine };
  }
}

/**
 * The encoding an XML document's declaration names (`<?xml ... encoding="…"?>`),
 * read from its first bytes; null when it names none, or when the document is
 * UTF-16, whose byte-order mark decodeText reads instead.
 */
export function declaredXmlEncoding(bytes: Uint8Array): string | null {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 200)).toString('latin1');
  return /^(?:\xEF\xBB\xBF)?\s*<\?xml\s[^?>]*?\bencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/.exec(head)?.[1] ?? null;
}

/** The next tag at or after `from`, or null at the end of the text. */
async function nextTag(w: Window, from: number): Promise<Tag | null | 'truncated'> {
  const lt = await w.indexOf('<', from);
  if (lt === -1) return null;
  await w.ensure(lt + 9);
  const head = w.text.slice(lt, lt + 9);
  const skipTo = async (close: string): Promise<Tag | 'truncated'> => {
    const end = await w.indexOf(close, lt + 2);
    return end === -1 ? 'truncated' : { kind: 'other', from: lt, to: end + close.length };
  };
  if (head.startsWith('<?')) return skipTo('?>');
  if (head.startsWith('<!--')) return skipTo('-->');
  if (head.startsWith('<![CDATA[')) return skipTo(']]>');
  if (head.startsWith('<!')) return { kind: 'declaration', from: lt };
  // Find the closing '>' outside attribute quotes: a quoted value may contain '>'.
  let quote = '';
  for (let i = lt + 1; ; i += 1) {
    if (i >= w.text.length && !(await w.more())) return 'truncated';
    const ch = w.text[i];
    // No tag holds '<', not even in a quoted value: it is text with a stray '<' (O<BRIEN) or a tag whose quote
    // is never closed, and reading on to a '>' would swallow the tags after it.
    if (ch === '<') return { kind: 'bad', from: lt, to: i };
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '>') {
      const body = w.text.slice(lt + 1, i);
      if (body.startsWith('/')) return { kind: 'end', name: body.slice(1).trim(), from: lt, to: i + 1 };
      const name = /^[^\s/>]+/.exec(body)?.[0] ?? '';
      return { kind: 'start', name, selfClosing: body.endsWith('/'), from: lt, to: i + 1 };
    }
  }
}

/** The entities XML predefines; a document without a DTD (the only kind read) declares no others. */
const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** A reference: `&#N;`, `&#xH;`, something else after `&#`, or a name. A bare '&' is left alone (the validator refuses it in text). */
const REFERENCE = /&(#[^;&<]*|[^\s;&<"']+);/g;

/** Whether XML 1.0 allows the character (its Char production); NUL is let through, for the mapping's nul-character reject. */
const allowedChar = (cp: number): boolean =>
  cp === 0 || cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);

/**
 * Expands references in text and attribute values, in one pass so that
 * `&amp;#39;` stays the text `&#39;`: the five predefined entities and
 * character references, decimal and hex (what ASCII-only exports write for
 * É or '). fast-xml-parser decodes character references only together with
 * HTML's named entities (&eacute;), which XML does not have. A reference to
 * a character XML does not allow, or to any other entity, is the record's
 * `problem`; NUL is decoded, and the mapping rejects the field that holds it.
 * CDATA is never passed here.
 */
class ReferenceDecoder implements EntityDecoderOptions {
  problem: string | null = null;

  decode(text: string): string {
    if (!text.includes('&')) return text;
    return text.replace(REFERENCE, (whole, ref: string) => {
      const predefined = PREDEFINED[ref];
      if (predefined !== undefined) return predefined;
      if (!ref.startsWith('#')) return this.refuse(whole, 'malformed-xml: an entity reference other than &amp; &lt; &gt; &quot; &apos; (entities are not expanded)');
      const cp = /^#[0-9]+$/.test(ref) ? Number(ref.slice(1)) : /^#x[0-9A-Fa-f]+$/.test(ref) ? Number.parseInt(ref.slice(2), 16) : NaN;
      if (Number.isNaN(cp)) return this.refuse(whole, 'malformed-xml: a character reference that is not &#digits; or &#xhex;');
      if (!allowedChar(cp)) {
        const named = cp <= 0x10ffff ? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` : 'a code point beyond U+10FFFF';
        return this.refuse(whole, `malformed-xml: a character reference to ${named}, which XML does not allow`);
      }
      return String.fromCodePoint(cp);
    });
  }

  private refuse(whole: string, problem: string): string {
    this.problem ??= problem;
    return whole;
  }

  reset(): void {
    this.problem = null;
  }

  setXmlVersion(): void {}
  setExternalEntities(): void {}

  /** Never reached: a DOCTYPE refuses the file before any record is parsed. */
  addInputEntities(): void {
    throw new Error(HOSTILE_XML);
  }
}

function parserFor(maxDepth: number, decoder: ReferenceDecoder): XMLParser {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    processEntities: true,
    entityDecoder: decoder,
    maxNestedTags: maxDepth + 1,
  });
}

export async function* readXml(source: ByteSource, options: XmlOptions, context: ReadContext = {}): AsyncGenerator<ReadItem> {
  const encoding = options.encoding ?? 'utf-8';
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxSize = options.maxRecordSize ?? DEFAULT_MAX_RECORD_SIZE;
  const segments = options.recordPath.split('/');
  const recordName = segments[segments.length - 1] as string;
  const parentPath = segments.slice(0, -1).join('/');
  const decoder = new ReferenceDecoder();
  const parser = parserFor(maxDepth, decoder);
  const w = new Window(decodeText(source, encoding)[Symbol.asyncIterator]());
  const outer: string[] = [];
  let index = 0;
  let pos = 0;
  let rooted = false;
  const at = (line: number): Position => ({ line, index, ...(context.path ? { path: context.path } : {}) });
  const fatal = (line: number, reason: string): ReadItem => ({ error: { position: at(line), reason } });
  // A start tag broken by a '<' (an unclosed quote in its attributes) that names a record still starts one.
  const brokenRecordStart = new RegExp(`^<${recordName.replace(/[.]/g, '\\.')}(?:[\\s/]|$)`);

  // Its markup read as NULs between characters: no tag would be found, or a root named with NULs.
  await w.ensure(32);
  const utf16 = unmarkedUtf16(w.text);
  if (utf16 !== null) {
    yield fatal(1, UNMARKED_UTF16(utf16, encoding));
    return;
  }

  for (;;) {
    const tag = await nextTag(w, pos);
    if (tag === null) break;
    if (tag === 'truncated') {
      yield fatal(w.lineAt(pos), 'truncated-xml: the file ends inside markup');
      return;
    }
    if (tag.kind === 'declaration') {
      yield fatal(w.lineAt(tag.from), HOSTILE_XML);
      return;
    }
    pos = tag.to;
    if (tag.kind === 'start') rooted = true;
    const atRecords = outer.join('/') === parentPath;
    // A document under another root holds none of the records: said, not read as an empty batch.
    if (tag.kind === 'start' && outer.length === 0 && tag.name !== segments[0]) {
      yield fatal(w.lineAt(tag.from), `wrong-root: the root element is <${tag.name}>; records are read at ${options.recordPath}`);
      return;
    }
    const brokenRecord = tag.kind === 'bad' && atRecords && outer.length > 0 && brokenRecordStart.test(w.text.slice(tag.from, tag.to));
    if (tag.kind === 'bad' && !brokenRecord) {
      // Broken markup among the records is one reject; above them, the file's structure is lost.
      const where = atRecords && outer.length > 0 ? 'among' : 'above';
      yield fatal(w.lineAt(tag.from), `malformed-xml: broken markup (a '<' that starts no tag) ${where} the <${recordName}> records`);
      if (where === 'above') return;
      index += 1;
    } else if (tag.kind === 'end') {
      if (outer[outer.length - 1] === tag.name) outer.pop();
      // A stray end tag among the records is what is left of a malformed record, rejected already: it holds no data.
      else if (!atRecords || outer.includes(tag.name)) {
        yield fatal(w.lineAt(tag.from), `malformed-xml: unexpected closing tag </${tag.name}>`);
        return;
      }
    } else if (brokenRecord || (tag.kind === 'start' && atRecords && (tag.name === recordName || segments.length > 1))) {
      const line = w.lineAt(tag.from);
      const name = tag.kind === 'start' ? tag.name : recordName;
      const isRecord = name === recordName;
      const record = await captureRecord(w, {
        start: tag.from,
        from: tag.to,
        name,
        selfClosing: tag.kind === 'start' && tag.selfClosing,
        broken: brokenRecord,
        recordName,
        outer,
        maxDepth: isRecord ? maxDepth : Infinity,
        maxSize,
      });
      if (record.kind === 'fatal') {
        yield fatal(line, record.reason);
        return;
      }
      pos = record.end;
      // Among the records, another element is most likely a misspelt record: a reject, so that it is not lost unseen.
      if (!isRecord) yield fatal(line, `unexpected-element: <${name}> among the <${recordName}> records`);
      else if (record.kind === 'refused') yield fatal(line, record.reason);
      else yield parseRecord(parser, decoder, w.text.slice(tag.from, record.end), recordName, at(line), encoding, record.kind === 'malformed' ? record : undefined);
      index += 1;
    } else if (tag.kind === 'start' && !tag.selfClosing) {
      outer.push(tag.name);
      if (outer.length > MAX_OUTER_DEPTH) {
        yield fatal(w.lineAt(tag.from), `too-deep: elements above the records nest more than ${MAX_OUTER_DEPTH} deep`);
        return;
      }
    }
    if (pos > KEEP) {
      w.drop(pos);
      pos = 0;
    }
  }
  if (outer.length > 0) yield fatal(w.lineAt(w.text.length), `truncated-xml: <${outer[outer.length - 1]}> is never closed`);
  // Text without a single element is not XML: said, not read as an empty batch.
  else if (!rooted) yield fatal(1, `malformed-xml: no root element; records are read at ${options.recordPath}`);
}

/**
 * A record's extent. `malformed`: the scanner found it broken, and its text
 * ends at `end`; `reason` says how when the validator could not (a record
 * never closed), else the validator names the first fault and its place, and
 * `fault` is said should it pass the record (it allows '<' in an attribute).
 */
type Captured =
  | { kind: 'ok'; end: number }
  | { kind: 'refused'; end: number; reason: string }
  | { kind: 'malformed'; end: number; reason: string; fault?: never }
  | { kind: 'malformed'; end: number; reason: null; fault: string }
  | { kind: 'fatal'; reason: string };

interface Capture {
  /** Where the record's start tag starts, and ends. */
  start: number;
  from: number;
  /** The start tag's element name. */
  name: string;
  selfClosing: boolean;
  /** The start tag itself is broken. */
  broken: boolean;
  recordName: string;
  /** The elements open above the record. */
  outer: readonly string[];
  maxDepth: number;
  maxSize: number;
}

/**
 * Scan from the end of the record's start tag to just after its end tag. The
 * open elements are kept by name, so a start tag never closed (ANN<Middle>X)
 * is closed by the end tag of an element around it, and the record's end tag
 * still ends the record. A record never closed ends before the next record
 * element inside it (its first, for a record nested in another is legal XML)
 * once it is found broken, or before the end tag of an element above it.
 */
async function captureRecord(w: Window, c: Capture): Promise<Captured> {
  if (c.selfClosing) return { kind: 'ok', end: c.from };
  const open = [c.name];
  let deepest = 1;
  let pos = c.from;
  let dropped = false;
  const BAD_TAG = "malformed-xml: a '<' inside a tag or an attribute value";
  /** The first fault the scanner found, or null. */
  let fault: string | null = c.broken ? BAD_TAG : null;
  const broken = (reason: string): void => {
    fault ??= reason;
  };
  /** The first record element inside the record: where the next record starts, should this one never be closed. */
  let nextRecord = -1;
  const notClosed = (): Captured => ({ kind: 'malformed', end: nextRecord, reason: `malformed-xml: <${c.name}> is not closed before the next <${c.recordName}>` });
  while (open.length > 0) {
    const tag = await nextTag(w, pos);
    if (tag === null || tag === 'truncated') return nextRecord !== -1 ? notClosed() : { kind: 'fatal', reason: 'truncated-xml: the file ends inside a record' };
    if (tag.kind === 'declaration') return { kind: 'fatal', reason: HOSTILE_XML };
    if (tag.kind === 'bad') broken(BAD_TAG);
    if (tag.kind === 'start' && tag.name === c.recordName && !dropped) {
      if (fault !== null) return nextRecord !== -1 ? notClosed() : { kind: 'malformed', end: tag.from, reason: null, fault };
      if (nextRecord === -1) nextRecord = tag.from;
    }
    if (tag.kind === 'start' && !tag.selfClosing) open.push(tag.name);
    if (tag.kind === 'end') {
      const i = open.lastIndexOf(tag.name);
      if (i === -1 && c.outer.includes(tag.name)) {
        // An element above the records ends: the record was never closed, and the text up to here is all of it.
        if (nextRecord !== -1) return notClosed();
        if (dropped) return { kind: 'refused', end: tag.from, reason: `record-too-large: more than ${c.maxSize} characters` };
        return fault !== null ? { kind: 'malformed', end: tag.from, reason: null, fault } : { kind: 'malformed', end: tag.from, reason: `malformed-xml: <${c.name}> is not closed before </${tag.name}>` };
      }
      // An end tag that closes nothing, or closes elements left open inside it.
      if (i !== open.length - 1) broken('malformed-xml: an end tag that does not match the element it closes');
      if (i !== -1) open.length = i;
    }
    pos = tag.to;
    deepest = Math.max(deepest, open.length);
    if (pos - c.start > c.maxSize && !dropped) {
      if (nextRecord !== -1) return notClosed();
      dropped = true;
    }
    if (dropped) {
      // Forget an oversized record's text as it streams; only its end is still needed.
      w.drop(pos);
      pos = 0;
    }
  }
  if (dropped) return { kind: 'refused', end: pos, reason: `record-too-large: more than ${c.maxSize} characters` };
  if (fault !== null) return { kind: 'malformed', end: pos, reason: null, fault };
  if (deepest > c.maxDepth) return { kind: 'refused', end: pos, reason: `too-deep: elements nest more than ${c.maxDepth} deep in the record` };
  return { kind: 'ok', end: pos };
}

function parseRecord(parser: XMLParser, decoder: ReferenceDecoder, text: string, recordName: string, position: Position, encoding: string, malformed?: { reason: string | null; fault?: string }): ReadItem {
  const problem = encodingProblem(text, encoding);
  if (problem !== null) return { error: { position, reason: problem } };
  if (malformed?.reason) return { error: { position, reason: malformed.reason } };
  const valid = XMLValidator.validate(text);
  // The validator's message can quote part of a value it took for a name (O<Brien): its code and place only.
  if (valid !== true) return { error: { position, reason: `malformed-xml: ${valid.err.code} (record line ${valid.err.line}, column ${valid.err.col})` } };
  if (malformed) return { error: { position, reason: malformed.fault ?? 'malformed-xml' } };
  try {
    decoder.reset();
    const parsed = parser.parse(text) as Record<string, unknown>;
    if (decoder.problem !== null) return { error: { position, reason: decoder.problem } };
    const node = parsed[recordName];
    const fields = typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : { '#text': node ?? '' };
    return { position, fields, raw: text };
  } catch {
    return { error: { position, reason: 'malformed-xml: the parser refused the record' } };
  }
}
