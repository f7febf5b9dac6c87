/**
 * JSON document reader: an array of records, or an object holding one. The
 * document is parsed whole (no streaming JSON parser is installed), so its
 * size is capped; JSON Lines is the format for large extracts.
 */
import { decodeText, encodingProblem } from './decode.js';
import { duplicateField, parseExact, type ExactJson } from './exact-json.js';
import { isPlainObject } from './json-lines.js';
import type { JsonOptions } from './options.js';
import type { ByteSource, ReadContext, ReadItem } from './types.js';

const DEFAULT_MAX_SIZE = 200_000_000;

/** The records array, or why there is none; a field on the way to it given twice is refused, since it may hide records. */
function recordsIn(doc: ExactJson, recordsPath: string | undefined): unknown[] | string {
  if (Array.isArray(doc.value) && !recordsPath) return doc.value;
  let node: unknown = doc.value;
  for (const key of (recordsPath ?? 'records').split('.')) {
    if (!isPlainObject(node)) return `no-records-array: "${recordsPath ?? 'records'}" not found`;
    if (doc.duplicatesOf(node).includes(key)) return `duplicate-field: "${key}" is given more than once on the way to the records`;
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
  let doc: ExactJson;
  try {
    // JSON.parse is the check of the syntax, and its position the one reported; parseExact keeps every digit and sees fields given twice.
    JSON.parse(text);
    doc = parseExact(text);
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
    if (!isPlainObject(value)) {
      yield { error: { position: at(index), reason: 'not-an-object: each record must be a JSON object' } };
      continue;
    }
    // The record's text as it is in the document, not written again from its fields.
    const raw = doc.textOf(value);
    const problem = encodingProblem(raw, encoding);
    const duplicate = doc.duplicateIn(value);
    if (problem !== null) yield { error: { position: at(index), reason: problem } };
    else if (duplicate !== null) yield { error: { position: at(index), ...duplicateField(duplicate) }, raw };
    else yield { position: at(index), fields: value, raw };
  }
}
