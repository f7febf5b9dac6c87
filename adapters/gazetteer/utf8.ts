/**
 * UTF-8 bytes to text for the gazetteer reader, telling bytes that are not
 * UTF-8 apart. TextDecoder turns them into U+FFFD, which was then stored as
 * if the supplier had written it ("CAF� ROW" from a Latin-1 É). Here each
 * such byte becomes a lone surrogate (U+DC80 to U+DCFF, as Python's
 * surrogateescape), which no UTF-8 text decodes to, so the reader can refuse
 * the line and name its field.
 *
 * Speed: isUtf8 checks a whole chunk natively (simdutf, many GB/s); only a
 * chunk that fails it is walked byte by byte.
 */
import { isUtf8 } from 'node:buffer';

/** A lone surrogate: what a byte that is not UTF-8 decodes to here. Needs the `u` flag, so that a pair is one character. */
export const NOT_UTF8 = /[\uD800-\uDFFF]/u;

const STREAM = { stream: true };

export class Utf8Decoder {
  /**
   * Only ever given whole characters, so it holds nothing back between calls; in stream mode all the same, which
   * is twice as fast as without on Node 20, and drops a BOM at the start of the input only.
   */
  private readonly decoder = new TextDecoder('utf-8');
  /** The start of a character cut by the end of the last chunk. */
  private tail: Uint8Array | null = null;
  /** Whether any byte so far was not UTF-8. */
  invalid = false;

  decode(chunk: Uint8Array): string {
    let bytes = chunk;
    if (this.tail) {
      bytes = new Uint8Array(this.tail.length + chunk.length);
      bytes.set(this.tail);
      bytes.set(chunk, this.tail.length);
      this.tail = null;
    }
    const end = completeEnd(bytes);
    if (end < bytes.length) {
      this.tail = bytes.slice(end);
      bytes = bytes.subarray(0, end);
    }
    if (isUtf8(bytes)) return this.decoder.decode(bytes, STREAM);
    this.invalid = true;
    return this.escape(bytes);
  }

  /** What is left at the end of the input: a character cut off by it is not UTF-8. */
  end(): string {
    const tail = this.tail;
    this.tail = null;
    if (!tail) return '';
    this.invalid = true;
    return this.escape(tail);
  }

  private escape(bytes: Uint8Array): string {
    let text = '';
    let start = 0;
    for (let i = 0; i < bytes.length;) {
      const n = sequenceLength(bytes, i);
      if (n > 0) {
        i += n;
        continue;
      }
      // Bytes below 0x80 are always UTF-8, so this is U+DC80 to U+DCFF.
      text += this.decoder.decode(bytes.subarray(start, i), STREAM) + String.fromCharCode(0xdc00 | bytes[i]!);
      start = ++i;
    }
    return text + this.decoder.decode(bytes.subarray(start), STREAM);
  }
}

/** Where the bytes stop holding whole characters: before a multi-byte character the chunk cuts off, else their length. */
function completeEnd(bytes: Uint8Array): number {
  const len = bytes.length;
  for (let i = len - 1; i >= 0 && i >= len - 3; i--) {
    const b = bytes[i]!;
    if (b < 0x80) return len;
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return len - i < need ? i : len;
    }
  }
  return len;
}

/** The length of the well-formed UTF-8 character at `i` (RFC 3629: no overlong forms, surrogates or values past U+10FFFF), 0 if there is none. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
  if (b < 0x80) return 1;
  const next = (k: number, lo = 0x80, hi = 0xbf) => {
    const c = bytes[i + k];
    return c !== undefined && c >= lo && c <= hi;
  };
  if (b >= 0xc2 && b <= 0xdf) return next(1) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) return next(1, b === 0xe0 ? 0xa0 : 0x80, b === 0xed ? 0x9f : 0xbf) && next(2) ? 3 : 0;
  if (b >= 0xf0 && b <= 0xf4) return next(1, b === 0xf0 ? 0x90 : 0x80, b === 0xf4 ? 0x8f : 0xbf) && next(2) && next(3) ? 4 : 0;
  return 0;
}
