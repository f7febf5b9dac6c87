/** Fixed-width reader: each line is one record cut by a column layout; values are trimmed. */
import { decodeText, encodingProblem } from './decode.js';
import { splitLines } from './lines.js';
import type { FixedWidthOptions } from './options.js';
import type { ByteSource, ReadContext, ReadItem } from './types.js';

const MAX_LINE_SIZE = 100_000;

export async function* readFixedWidth(source: ByteSource, options: FixedWidthOptions, context: ReadContext = {}): AsyncGenerator<ReadItem> {
  const encoding = options.encoding ?? 'utf-8';
  const skip = options.skipLines ?? 0;
  // A line that ends before the last column starts has lost fields, not just trailing blanks.
  const minLength = Math.max(...options.columns.map((c) => c.start));
  let index = 0;
  for await (const line of splitLines(decodeText(source, encoding), MAX_LINE_SIZE)) {
    if (line.line <= skip) continue;
    const position = { line: line.line, index, ...(context.path ? { path: context.path } : {}) };
    const problem = 'tooLong' in line ? null : encodingProblem(line.text, encoding);
    if ('tooLong' in line) {
      yield { error: { position, reason: `line-too-long: more than ${MAX_LINE_SIZE} characters` } };
    } else if (line.text.trim() === '') {
      continue;
    } else if (problem !== null) {
      yield { error: { position, reason: problem } };
    } else if (line.text.length < minLength) {
      yield { error: { position, reason: `short-line: ${line.text.length} characters, the layout needs at least ${minLength}` } };
    } else {
      const fields: Record<string, unknown> = {};
      for (const c of options.columns) fields[c.name] = line.text.slice(c.start - 1, c.start - 1 + c.length).trim();
      yield { position, fields, raw: line.text };
    }
    index += 1;
  }
}
