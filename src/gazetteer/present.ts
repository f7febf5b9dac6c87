/**
 * An address index row as the API shows it: the BS 7666 structure (SAO, PAO,
 * street, locality, town, postcode), its language, and one postal line for
 * display.
 */
import { Type, type Static } from 'typebox';
import { Nullable } from '../../schemas/common.js';
import type { IndexedAddress } from '../../schemas/bs7666.js';

const STATUS = { 1: 'approved', 3: 'alternative', 6: 'provisional', 8: 'historic' } as const;

export const Address = Type.Object(
  {
    uprn: Type.Integer(),
    lpiKey: Type.String(),
    language: Type.String({ description: 'language of this address (LPI), as BS 7666 codes it: ENG English, CYM Welsh, GAE Gaelic; a Welsh property has an address in each under one UPRN' }),
    status: Type.Union([Type.Literal('approved'), Type.Literal('alternative'), Type.Literal('provisional'), Type.Literal('historic')], { description: 'status of this address (LPI)' }),
    current: Type.Boolean({ description: 'an approved address of a property that still exists' }),
    line: Type.String({ description: 'single postal line' }),
    bs7666: Type.Object({
      sao: Nullable(Type.String()),
      pao: Nullable(Type.String()),
      street: Type.String(),
      locality: Nullable(Type.String()),
      town: Nullable(Type.String()),
      postcode: Nullable(Type.String()),
    }),
    usrn: Type.Integer(),
    parentUprn: Nullable(Type.Integer()),
    organisation: Nullable(Type.String()),
    classification: Nullable(Type.String()),
  },
);
export type Address = Static<typeof Address>;

/** "12", "12A", "12-14", "12A-12C". */
function range(start: number | null, startSuffix: string | null, end: number | null, endSuffix: string | null): string | null {
  const first = `${start ?? ''}${startSuffix ?? ''}`;
  const last = `${end ?? ''}${endSuffix ?? ''}`;
  const text = last ? `${first}-${last}` : first;
  return text || null;
}

function join(...parts: (string | null)[]): string | null {
  const text = parts.filter(Boolean).join(' ');
  return text || null;
}

export function presentAddress(row: IndexedAddress & { current?: boolean; language: string }): Address {
  const saoRange = range(row.saoStartNumber, row.saoStartSuffix, row.saoEndNumber, row.saoEndSuffix);
  const paoRange = range(row.paoStartNumber, row.paoStartSuffix, row.paoEndNumber, row.paoEndSuffix);
  const sao = join(row.saoText, saoRange);
  const pao = row.paoText && paoRange ? `${row.paoText}, ${paoRange}` : join(row.paoText, paoRange);
  // Postal convention: the PAO number shares a line with the street; PAO text stands on its own.
  const streetLine = join(paoRange, row.street);
  const line = [row.organisation, sao, row.paoText, streetLine, row.locality, row.town, row.postcode].filter(Boolean).join(', ');
  return {
    uprn: row.uprn,
    lpiKey: row.lpiKey,
    language: row.language,
    status: STATUS[row.logicalStatus],
    current: row.current ?? (row.logicalStatus === 1 && row.blpuStatus === 1),
    line,
    bs7666: { sao, pao, street: row.street, locality: row.locality, town: row.town, postcode: row.postcode },
    usrn: row.usrn,
    parentUprn: row.parentUprn,
    organisation: row.organisation,
    classification: row.classification,
  };
}
