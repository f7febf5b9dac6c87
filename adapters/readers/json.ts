/**
 * JSON document reader: an array of records, or an object holding one. The
 * document is parsed whole (no streaming JSON parser is installed), so its
 * size is capped; JSON Lines is the format for large extracts.
 */
import { decodeText, encodingProblem } from './decode.js';
import { isPlainObject } from './json-lines.js';
import type { JsonOptions } from './options.js';
import type { ByteSource, ReadContext, ReadItem } from './types.js';

const DEFAULT_MAX_SIZE = 200_000_000;

function recordsIn(doc: unknown, recordsPath: string | undefined): unknown[] | string {
  if (Array.isArray(doc) && !recordsPath) return doc;
  let node: unknown = doc;
  for (const key of (recordsPath ?? 'records').split('.')) {
    if (!isPlainObject(node)) return `no-records-array: "${recordsPath ?? 'records'}" not found`;
    node = node[key];
  }
  return Array.isArray(node) ? node : `no-records-array: "${recordsPath ?? 'records'}" is not an array`;
}

export async function* readJson(source: ByteSource, options: JsonOptions, context: ReadContext = {}): AsyncGenerator<ReadItem> {
  const encoding = options.encoding ?? 'utf-8';
  const maxSize = options.maxSize ?? DEFAULT_MAX_SIZE;
  const at = (index: number) => ({ index, ...(context.path ? { path: context.path } : {}) });
  let text = '';
  for await (const chunk of decodeText(source, encoding)) {
    text += chunk;
    if (text.length > maxSize) {
      yield { error: { position: at(0), reason: `document-too-large: more than ${maxSize} characters; use JSON Lines` } };
      return;
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const where = e instanceof SyntaxError ? /position \d+/.exec(e.message)?.[0] : undefined;
    yield { error: { position: at(0), reason: `invalid-json${where ? ` at ${where}` : ''}` } };
    return;
  }
  const records = recordsIn(doc, options.recordsPath);
  if (typeof records === 'string') {
    yield { error: { position: at(0), reason: records } };
    return;
  }
  for (const [index, value] of records.entries()) {
    const raw = JSON.stringify(value);
    const problem = encodingProblem(raw, encoding);
    if (!isPlainObject(value)) yield { error: { position: at(index), reason: 'not-an-object: each record must be a JSON object' } };
    else if (problem !== null) yield { error: { position: at(index), reason: problem } };
    else yield { position: at(index), fields: value, raw };
  }
}
