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
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { decodeText, encodingProblem } from './decode.js';
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

function parserFor(maxDepth: number): XMLParser {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    processEntities: true,
    htmlEntities: false,
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
  const parser = parserFor(maxDepth);
  const w = new Window(decodeText(source, encoding)[Symbol.asyncIterator]());
  const outer: string[] = [];
  let index = 0;
  let pos = 0;
  let rooted = false;
  const at = (line: number): Position => ({ line, index, ...(context.path ? { path: context.path } : {}) });
  const fatal = (line: number, reason: string): ReadItem => ({ error: { position: at(line), reason } });

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
    // A document under another root holds none of the records: said, not read as an empty batch.
    if (tag.kind === 'start' && outer.length === 0 && tag.name !== segments[0]) {
      yield fatal(w.lineAt(tag.from), `wrong-root: the root element is <${tag.name}>; records are read at ${options.recordPath}`);
      return;
    }
    if (tag.kind === 'end') {
      if (outer.pop() !== tag.name) {
        yield fatal(w.lineAt(tag.from), `malformed-xml: unexpected closing tag </${tag.name}>`);
        return;
      }
    } else if (tag.kind === 'start' && outer.join('/') === parentPath && (tag.name === recordName || segments.length > 1)) {
      const line = w.lineAt(tag.from);
      const isRecord = tag.name === recordName;
      const record = await captureRecord(w, tag.from, tag.to, tag.selfClosing, isRecord ? maxDepth : Infinity, maxSize);
      if (record.kind === 'fatal') {
        yield fatal(line, record.reason);
        return;
      }
      pos = record.end;
      // Among the records, another element is most likely a misspelt record: a reject, so that it is not lost unseen.
      if (!isRecord) yield fatal(line, `unexpected-element: <${tag.name}> among the <${recordName}> records`);
      else if (record.kind === 'refused') yield fatal(line, record.reason);
      else yield parseRecord(parser, w.text.slice(tag.from, record.end), recordName, at(line), encoding);
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

type Captured = { kind: 'ok'; end: number } | { kind: 'refused'; end: number; reason: string } | { kind: 'fatal'; reason: string };

/** Scan from the end of the record's start tag (`from`) to just after its end tag; the record starts at `start`. */
async function captureRecord(w: Window, start: number, from: number, selfClosing: boolean, maxDepth: number, maxSize: number): Promise<Captured> {
  if (selfClosing) return { kind: 'ok', end: from };
  let depth = 1;
  let deepest = 1;
  let pos = from;
  let dropped = false;
  while (depth > 0) {
    const tag = await nextTag(w, pos);
    if (tag === null || tag === 'truncated') return { kind: 'fatal', reason: 'truncated-xml: the file ends inside a record' };
    if (tag.kind === 'declaration') return { kind: 'fatal', reason: HOSTILE_XML };
    pos = tag.to;
    if (tag.kind === 'start' && !tag.selfClosing) depth += 1;
    if (tag.kind === 'end') depth -= 1;
    deepest = Math.max(deepest, depth);
    if (pos - start > maxSize && !dropped) dropped = true;
    if (dropped) {
      // Forget an oversized record's text as it streams; only its end is still needed.
      w.drop(pos);
      pos = 0;
    }
  }
  if (dropped) return { kind: 'refused', end: pos, reason: `record-too-large: more than ${maxSize} characters` };
  if (deepest > maxDepth) return { kind: 'refused', end: pos, reason: `too-deep: elements nest more than ${maxDepth} deep in the record` };
  return { kind: 'ok', end: pos };
}

function parseRecord(parser: XMLParser, text: string, recordName: string, position: Position, encoding: string): ReadItem {
  const problem = encodingProblem(text, encoding);
  if (problem !== null) return { error: { position, reason: problem } };
  const valid = XMLValidator.validate(text);
  // The validator's message can quote part of a value it took for a name (O<Brien): its code and place only.
  if (valid !== true) return { error: { position, reason: `malformed-xml: ${valid.err.code} (record line ${valid.err.line}, column ${valid.err.col})` } };
  try {
    const parsed = parser.parse(text) as Record<string, unknown>;
    const node = parsed[recordName];
    const fields = typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : { '#text': node ?? '' };
    return { position, fields, raw: text };
  } catch {
    return { error: { position, reason: 'malformed-xml: the parser refused the record' } };
  }
}
