/**
 * Reader options as TypeBox schemas: the mapping file embeds one of these, so
 * the same schema validates a mapping at load and types the readers.
 */
import { Type, type Static } from 'typebox';

const Encoding = Type.String({ minLength: 1, default: 'utf-8', description: 'iconv-lite name, e.g. utf-8, windows-1252' });

export const CsvOptions = Type.Object(
  {
    kind: Type.Literal('csv'),
    encoding: Type.Optional(Encoding),
    delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
    quote: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
    /** Column names; when absent the first line is the header. */
    columns: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    /** A quoted field may span lines; past this many an unclosed quote is reported. */
    maxRecordLines: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);
export type CsvOptions = Static<typeof CsvOptions>;

export const FixedWidthColumn = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    /** 1-based character position, as record layouts print it. */
    start: Type.Integer({ minimum: 1 }),
    length: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type FixedWidthColumn = Static<typeof FixedWidthColumn>;

export const FixedWidthOptions = Type.Object(
  {
    kind: Type.Literal('fixed-width'),
    encoding: Type.Optional(Encoding),
    columns: Type.Array(FixedWidthColumn, { minItems: 1 }),
    /** Header lines to skip before the first record. */
    skipLines: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type FixedWidthOptions = Static<typeof FixedWidthOptions>;

export const XmlOptions = Type.Object(
  {
    kind: Type.Literal('xml'),
    encoding: Type.Optional(Encoding),
    /** Element path from the root to one record, e.g. Tenancies/Tenancy. */
    recordPath: Type.String({ pattern: '^[A-Za-z_][\\w.-]*(/[A-Za-z_][\\w.-]*)*$' }),
    /** Deepest element nesting allowed inside one record. */
    maxDepth: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    /** Largest record accepted, in characters. */
    maxRecordSize: Type.Optional(Type.Integer({ minimum: 64 })),
  },
  { additionalProperties: false },
);
export type XmlOptions = Static<typeof XmlOptions>;

export const JsonOptions = Type.Object(
  {
    kind: Type.Literal('json'),
    encoding: Type.Optional(Encoding),
    /** Dotted path to the records array in an object document; default: the array itself, or `records`. */
    recordsPath: Type.Optional(Type.String({ minLength: 1 })),
    /** A JSON document is parsed whole, so it is capped; large extracts should use JSON Lines. */
    maxSize: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type JsonOptions = Static<typeof JsonOptions>;

export const JsonLinesOptions = Type.Object(
  {
    kind: Type.Literal('jsonl'),
    encoding: Type.Optional(Encoding),
    maxLineSize: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type JsonLinesOptions = Static<typeof JsonLinesOptions>;

export const ReaderOptions = Type.Union([CsvOptions, FixedWidthOptions, XmlOptions, JsonOptions, JsonLinesOptions]);
export type ReaderOptions = Static<typeof ReaderOptions>;
