/** JSON Lines reader: one object per line; a bad line is one error and the rest goes on. */
import { decodeText, encodingProblem } from './decode.js';
import { duplicateField, parseExact, type ExactJson } from './exact-json.js';
import { splitLines } from './lines.js';
import type { JsonLinesOptions } from './options.js';
import type { ByteSource, ReadContext, ReadItem } from './types.js';

const DEFAULT_MAX_LINE_SIZE = 10_000_000;

export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function* readJsonLines(source: ByteSource, options: JsonLinesOptions, context: ReadContext = {}): AsyncGenerator<ReadItem> {
  const encoding = options.encoding ?? 'utf-8';
  const maxLineSize = options.maxLineSize ?? DEFAULT_MAX_LINE_SIZE;
  let index = 0;
  for await (const line of splitLines(decodeText(source, encoding), maxLineSize)) {
    const position = { line: line.line, index, ...(context.path ? { path: context.path } : {}) };
    if ('tooLong' in line) {
      yield { error: { position, reason: `line-too-long: more than ${maxLineSize} characters` } };
      index += 1;
      continue;
    }
    if (line.text.trim() === '') continue;
    index += 1;
    const problem = encodingProblem(line.text, encoding);
    if (problem !== null) {
      yield { error: { position, reason: problem } };
      continue;
    }
    let doc: ExactJson;
    try {
      // JSON.parse is the check of the syntax, and its position the one reported; parseExact keeps every digit and sees fields given twice.
      JSON.parse(line.text);
      doc = parseExact(line.text);
    } catch (e) {
      // JSON.parse messages can quote the text around the fault, which may be personal data.
      const where = e instanceof SyntaxError ? /position \d+/.exec(e.message)?.[0] : undefined;
      yield { error: { position, reason: `invalid-json${where ? ` at ${where}` : ''}` } };
      continue;
    }
    const value = doc.value;
    if (!isPlainObject(value)) {
      yield { error: { position, reason: 'not-an-object: each line must be one JSON object' } };
      continue;
    }
    const duplicate = doc.duplicateIn(value);
    if (duplicate !== null) {
      yield { error: { position, ...duplicateField(duplicate) }, raw: line.text };
      continue;
    }
    yield { position, fields: value, raw: line.text };
  }
}
