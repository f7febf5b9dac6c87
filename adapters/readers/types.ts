/** What every reader yields: one source record's fields, or one record it could not read. */
export interface Position {
  /** 1-based line where the record starts, when the format has lines. */
  line?: number;
  /** 0-based ordinal of the record in the file, counting unreadable ones. */
  index: number;
  /** The file the record came from, for reporting. */
  path?: string;
}

export interface ReadRecord {
  position: Position;
  fields: Record<string, unknown>;
  /** The record's text exactly as decoded from the source, kept beside the mapped record. */
  raw: string;
}

export interface ReadError {
  /** field and rule when the reader can name them (a JSON field given twice); else the record is `unreadable`. */
  error: { position: Position; reason: string; field?: string; rule?: string };
  /** The text of the record (or of its first line) when it could be decoded and held: kept with the reject. */
  raw?: string;
}

export type ReadItem = ReadRecord | ReadError;

/** Bytes in: a file stream (any Node Readable is one) or a whole buffer. */
export type ByteSource = AsyncIterable<Uint8Array> | Uint8Array;

export interface ReadContext {
  /** Reported in every position. */
  path?: string;
  /** CSV: told the header's column names, in order, once it is read. */
  onHeader?: (names: readonly string[]) => void;
}

export const isReadError = (item: ReadItem): item is ReadError => 'error' in item;
