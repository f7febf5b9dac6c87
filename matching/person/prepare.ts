import { isValid as isValidPostcode, toDistrict, toNormalised, toSector } from 'postcode';
import { isCalendarDate } from '../identifiers/dob.js';
import { validateEmail } from '../identifiers/email.js';
import { validateNhsNumber } from '../identifiers/nhs.js';
import { ninoCore, validateNino } from '../identifiers/nino.js';
import { validatePhone } from '../identifiers/phone.js';
import { nicknameRoots, type NicknameTable } from './nicknames.js';
import { foldName, generationOf, normaliseForenames, normaliseSurname } from './normalise.js';
import { phoneticCodes } from './phonetic.js';
import type { PersonRecord, PreparedPerson } from './types.js';

/** Reference tables used while preparing records. */
export interface PrepareTables {
  nicknames: NicknameTable;
}

const blankToNull = (text: string | null | undefined): string | null => {
  const t = text?.trim();
  return t === undefined || t === '' ? null : t;
};

const folded = (text: string | null | undefined): string | null => {
  const t = blankToNull(text);
  if (t === null) return null;
  const f = foldName(t.replace(/[^\p{L}\p{N}\s'-]/gu, ' ').replace(/\d+/g, (d) => ` ${d} `)).replace(/-/g, ' ').trim();
  return f === '' ? null : f;
};

/** UK postcodes are normalised with their sector and district; any other code is kept as upper-case text. */
function postcodeForms(raw: string | null | undefined): Pick<PreparedPerson, 'postcode' | 'postcodeSector' | 'postcodeDistrict'> {
  const text = blankToNull(raw);
  if (text === null) return { postcode: null, postcodeSector: null, postcodeDistrict: null };
  if (isValidPostcode(text)) return { postcode: toNormalised(text), postcodeSector: toSector(text), postcodeDistrict: toDistrict(text) };
  return { postcode: text.toUpperCase().replace(/\s+/g, ''), postcodeSector: null, postcodeDistrict: null };
}

const validDob = (dob: string | null): string | null => (dob !== null && isCalendarDate(dob) && dob >= '1900-01-01' ? dob : null);

/**
 * Compute a record's normalised forms, codes and validated identifiers once, so
 * that comparing it with many candidates does no repeated work. Invalid
 * identifiers become null: they are never evidence for a match.
 */
export function prepare(record: PersonRecord, tables: PrepareTables): PreparedPerson {
  const forenames = normaliseForenames(record.forenames);
  const forename = forenames[0] ?? null;
  const surname = normaliseSurname(record.surname);
  const otherId = blankToNull(record.otherId)?.toUpperCase().replace(/\s+/g, '') ?? null;
  const nino = validateNino(record.nino);
  const email = validateEmail(record.email);
  return {
    id: record.id,
    forenames,
    forename,
    forenameRoots: forename === null ? [] : [...nicknameRoots(tables.nicknames, forename.replace(/-/g, ''))],
    forenameCode: forename === null ? null : phoneticCodes(forename)[0],
    surname: surname?.joined ?? null,
    surnameParts: surname?.parts ?? [],
    surnameCodes: surname ? phoneticCodes(surname.joined) : null,
    generation: surname?.generation ?? generationOf(record.forenames),
    dob: validDob(record.dob),
    sex: record.sex ?? null,
    nhsNumber: validateNhsNumber(record.nhsNumber).normalised,
    nino: nino.normalised === null ? null : ninoCore(nino.normalised),
    uprn: record.uprn ?? null,
    ...postcodeForms(record.postcode),
    street: folded(record.street),
    houseNumber: blankToNull(record.houseNumber)?.toUpperCase().replace(/\s+/g, '') ?? null,
    town: folded(record.town),
    phone: validatePhone(record.phone).normalised,
    email: email.normalised?.toLowerCase() ?? null,
    otherId,
    accounts: record.accounts ?? [],
  };
}
