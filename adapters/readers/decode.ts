/**
 * Bytes to text in a declared encoding, streamed. A UTF-8 byte-order mark is
 * dropped (and wins over a declared single-byte encoding: it cannot be the
 * start of a real windows-1252 extract). Undecodable bytes become U+FFFD,
 * which `hasInvalidText` then reports per record: the record is refused, not
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

const startsWithBom = (bytes: Uint8Array): boolean => UTF8_BOM.every((b, i) => bytes[i] === b);

export async function* decodeText(source: ByteSource, encoding = 'utf-8'): AsyncGenerator<string> {
  checkEncoding(encoding);
  let decoder: iconv.DecoderStream | null = null;
  for await (const chunk of chunksOf(source)) {
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (!decoder) {
      const bom = startsWithBom(bytes);
      decoder = iconv.getDecoder(bom ? 'utf-8' : encoding, { stripBOM: true });
      if (bom) bytes = bytes.subarray(UTF8_BOM.length);
    }
    const text = decoder.write(bytes);
    if (text) yield text;
  }
  const rest = decoder?.end();
  if (rest) yield rest;
}

export const hasInvalidText = (text: string): boolean => text.includes(REPLACEMENT);

export const INVALID_ENCODING = (encoding: string): string =>
  `invalid-encoding: bytes that are not valid ${encoding} (the record is refused rather than mangled)`;
