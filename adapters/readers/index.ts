/** One entry point for every source format: the mapping file names the reader and its options. */
import { createReadStream } from 'node:fs';
import { readCsv } from './csv.js';
import { readFixedWidth } from './fixed-width.js';
import { readJson } from './json.js';
import { readJsonLines } from './json-lines.js';
import type { ReaderOptions } from './options.js';
import type { ByteSource, ReadContext, ReadItem } from './types.js';
import { readXml } from './xml.js';

export function readRecords(source: ByteSource, options: ReaderOptions, context: ReadContext = {}): AsyncGenerator<ReadItem> {
  switch (options.kind) {
    case 'csv':
      return readCsv(source, options, context);
    case 'fixed-width':
      return readFixedWidth(source, options, context);
    case 'xml':
      return readXml(source, options, context);
    case 'json':
      return readJson(source, options, context);
    case 'jsonl':
      return readJsonLines(source, options, context);
  }
}

/** Stream a file through its reader; positions carry the path. */
export function readFile(path: string, options: ReaderOptions): AsyncGenerator<ReadItem> {
  return readRecords(createReadStream(path, { highWaterMark: 1 << 16 }), options, { path });
}

export { readCsv, readFixedWidth, readJson, readJsonLines, readXml };
export { declaredXmlEncoding, HOSTILE_XML } from './xml.js';
export { checkEncoding, decodeText, encodingProblem, UnknownEncodingError } from './decode.js';
export { duplicateField, exactNumber, parseExact, type ExactJson } from './exact-json.js';
export * from './options.js';
export * from './types.js';
