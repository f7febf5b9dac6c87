import type { ReadItem } from '../../../adapters/readers/index.js';

export async function collect(items: AsyncIterable<ReadItem>): Promise<ReadItem[]> {
  const out: ReadItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Split bytes into small chunks so that decoding and framing across chunk edges is exercised. */
export async function* chunked(bytes: Uint8Array, size = 7): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
