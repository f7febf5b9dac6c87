/**
 * Bytes to text in a declared encoding, streamed. A byte-order mark (UTF-8
 * or UTF-16) is dropped and wins over the declared encoding (see decodeText).
 * Undecodable bytes become U+FFFD,
 * which `encodingProblem` then reports per record: the record is refused, not
 * silently mangled, and the rest of the file goes on.
 */
import iconv from 'iconv-lite';
import type { ByteSource } from './types.js';

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const REPLACEMENT = '\uFFFD';

export class UnknownEncodingError extends Error {
  constructor(encoding: string) {
    super(`unknown encoding "${encoding}"`);
  }
}

export function checkEncoding(encoding: string): void {
  if (!iconv.encodingExists(encoding)) throw new UnknownEncodingError(encoding);
}

async function* chunksOf(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  yield* source;
}

/** The encoding a byte-order mark announces, and its length; none for text without one. */
function byteOrderMark(bytes: Uint8Array): { encoding: string; length: number } | null {
  if (UTF8_BOM.every((b, i) => bytes[i] === b)) return { encoding: 'utf-8', length: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return null;
}

/**
 * A byte-order mark wins over the declared encoding: neither a windows-1252
 * nor a UTF-8 extract starts with one, whereas an extract saved as "Unicode"
 * on Windows is UTF-16 with one, and read as declared every record of it
 * would be refused and its header taken for garbage.
 */
export async function* decodeText(source: ByteSource, encoding = 'utf-8'): AsyncGenerator<string> {
  checkEncoding(encoding);
  let decoder: iconv.DecoderStream | null = null;
  // The first bytes are held until there are enough to tell a byte-order mark (chunks may be tiny).
  let head = Buffer.alloc(0);
  const begin = (bytes: Buffer): { decoder: iconv.DecoderStream; text: string } => {
    const bom = byteOrderMark(bytes);
    const started = iconv.getDecoder(bom?.encoding ?? encoding, { stripBOM: true });
    return { decoder: started, text: started.write(bom ? bytes.subarray(bom.length) : bytes) };
  };
  for await (const chunk of chunksOf(source)) {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let text: string;
    if (decoder) text = decoder.write(bytes);
    else {
      head = Buffer.concat([head, bytes]);
      if (head.length < UTF8_BOM.length) continue;
      ({ decoder, text } = begin(head));
    }
    if (text) yield text;
  }
  if (!decoder) {
    const started = begin(head);
    decoder = started.decoder;
    if (started.text) yield started.text;
  }
  const rest = decoder.end();
  if (rest) yield rest;
}

/** Characters of a text's start looked at to tell UTF-16 read as a single-byte or UTF-8 encoding. */
const UNMARKED_SAMPLE = 32;

/**
 * Whether a text's start is UTF-16 without a byte-order mark read as an
 * encoding of single bytes or UTF-8: markup and the first values are ASCII,
 * which UTF-16 writes with a NUL byte beside each character (after it in
 * little-endian, before it in big-endian), so that every other character
 * of the text read is NUL, and none of the others. Such text is garbage
 * with NULs, not a document of wrong content.
 */
export function unmarkedUtf16(text: string): 'little-endian' | 'big-endian' | null {
  const sample = text.slice(0, UNMARKED_SAMPLE & ~1);
  if (sample.length < 4) return null;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < sample.length; i++) {
    if (sample.charCodeAt(i) !== 0) continue;
    if (i % 2 === 0) even++;
    else odd++;
  }
  const half = sample.length >> 1;
  if (odd === half && even === 0) return 'little-endian';
  if (even === half && odd === 0) return 'big-endian';
  return null;
}

/** The reason a document read as `encoding` is refused when it is UTF-16 without a byte-order mark (see unmarkedUtf16). */
export const UNMARKED_UTF16 = (order: string, encoding: string): string =>
  `wrong-encoding: the document is UTF-16 (${order}) without a byte-order mark, and was read as ${encoding}: `
  + 'send or save it with a byte-order mark, or in the encoding declared for it (a charset in the content type of a push, the mapping\'s encoding for a file)';

const REPLACED = (encoding: string): string =>
  `invalid-encoding: bytes that are not valid ${encoding} (the record is refused rather than mangled)`;
const MISREAD = (encoding: string): string =>
  `wrong-encoding: the record's bytes are UTF-8, not ${encoding} as declared (the record is refused rather than mangled)`;

const UNICODE = /^utf-?(8|16|32)/i;
const NON_ASCII = /[\u0080-\uffff]/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Per encoding, the byte each character of the upper half (0x80 to 0xFF) decodes from. */
const upperHalves = new Map<string, Map<number, number>>();

function upperHalf(encoding: string): Map<number, number> {
  let half = upperHalves.get(encoding);
  if (!half) {
    half = new Map();
    for (let byte = 0x80; byte <= 0xff; byte++) {
      const text = iconv.decode(Buffer.from([byte]), encoding);
      if (text.length === 1 && !half.has(text.charCodeAt(0))) half.set(text.charCodeAt(0), byte);
    }
    upperHalves.set(encoding, half);
  }
  return half;
}

/**
 * Whether text read in a single-byte encoding (windows-1252, latin1) was
 * UTF-8: its bytes hold a multi-byte UTF-8 sequence and are valid UTF-8
 * throughout. "JOSÉ" written as UTF-8 reads as "JOSÃ‰" in windows-1252 and
 * would be stored so; the other way round, a windows-1252 letter is almost
 * never followed by the bytes that would make it UTF-8. The bytes are walked
 * as UTF-8's lead and continuation bytes (a genuine letter fails at once);
 * only text that passes is decoded strictly, which also rules out overlong
 * forms and surrogates.
 */
function readsAsUtf8(text: string, encoding: string): boolean {
  if (UNICODE.test(encoding)) return false;
  const first = text.search(NON_ASCII);
  if (first === -1) return false;
  const half = upperHalf(encoding);
  const bytes: number[] = [];
  let need = 0;
  for (let i = first; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const byte = code < 0x80 ? code : half.get(code);
    // Not a character of this encoding (text a byte-order mark had decoded otherwise): not misread.
    if (byte === undefined) return false;
    bytes.push(byte);
    if (need > 0) {
      if ((byte & 0xc0) !== 0x80) return false;
      need--;
    } else if (byte >= 0x80) {
      if (byte >= 0xc2 && byte <= 0xdf) need = 1;
      else if (byte >= 0xe0 && byte <= 0xef) need = 2;
      else if (byte >= 0xf0 && byte <= 0xf4) need = 3;
      else return false;
    }
  }
  if (need > 0) return false;
  try {
    strictUtf8.decode(Uint8Array.from(bytes));
    return true;
  } catch {
    return false;
  }
}

/** Why a record's text cannot be taken as read in `encoding`: bytes it cannot hold, or UTF-8 read as a single-byte encoding; null when it can. */
export function encodingProblem(text: string, encoding: string): string | null {
  if (text.includes(REPLACEMENT)) return REPLACED(encoding);
  return readsAsUtf8(text, encoding) ? MISREAD(encoding) : null;
}
