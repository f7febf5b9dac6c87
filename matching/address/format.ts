/** One-line addresses in BS 7666 order (SAO, PAO, street, locality, town, postcode) for explanations and reviewers. */
import type { IndexedAddress } from '../../schemas/bs7666.js';
import { UNIT_WORDS } from './normalise.js';

function numberPart(start: number | null, startSuffix: string | null, end: number | null, endSuffix: string | null): string {
  if (start === null) return '';
  const first = `${start}${startSuffix ?? ''}`;
  return end === null ? first : `${first}-${end}${endSuffix ?? ''}`;
}

/** "FLAT 1", "GROUND FLOOR FLAT", "RIVERSIDE COURT" with its number kept apart for the street line. */
function objectParts(text: string | null, number: string): string[] {
  if (!text) return number ? [number] : [];
  if (!number) return [text];
  return UNIT_WORDS.has(text.trim().toUpperCase()) ? [`${text} ${number}`] : [text, number];
}

export function formatAddress(row: IndexedAddress): string {
  const sao = objectParts(row.saoText, numberPart(row.saoStartNumber, row.saoStartSuffix, row.saoEndNumber, row.saoEndSuffix));
  const paoNumber = numberPart(row.paoStartNumber, row.paoStartSuffix, row.paoEndNumber, row.paoEndSuffix);
  const parts = [...sao];
  if (row.paoText) parts.push(row.paoText);
  parts.push(paoNumber ? `${paoNumber} ${row.street}` : row.street);
  for (const p of [row.locality, row.town, row.postcode]) if (p) parts.push(p);
  return parts.join(', ');
}
