/** Decoded text to physical lines with their 1-based numbers; CR LF and LF both end a line. */
export interface Line {
  text: string;
  line: number;
}

/** A line longer than the limit: reported by number, its text dropped while it streams. */
export interface LongLine {
  tooLong: true;
  line: number;
}

const stripCr = (text: string): string => (text.endsWith('\r') ? text.slice(0, -1) : text);

export async function* splitLines(chunks: AsyncIterable<string>, maxLineSize = Infinity): AsyncGenerator<Line | LongLine> {
  let pending = '';
  let line = 0;
  let skipping = false;
  for await (const chunk of chunks) {
    pending += chunk;
    let start = 0;
    for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n', start)) {
      line += 1;
      if (skipping) yield { tooLong: true, line };
      else if (nl - start > maxLineSize) yield { tooLong: true, line };
      else yield { text: stripCr(pending.slice(start, nl)), line };
      skipping = false;
      start = nl + 1;
    }
    pending = pending.slice(start);
    if (pending.length > maxLineSize) {
      skipping = true;
      pending = '';
    }
  }
  if (skipping) yield { tooLong: true, line: line + 1 };
  else if (pending.length > 0) yield { text: stripCr(pending), line: line + 1 };
}
