/**
 * Checks the mapping applies to identifiers, contacts, postcodes and UPRNs.
 * NHS number, NI number, phone, email and date-of-birth rules live in
 * matching/identifiers (one implementation for the whole hub); postcodes use
 * the `postcode` package. Results never carry the value into a message.
 */
import { isValid as isValidPostcode, toNormalised } from 'postcode';
import { validateDob, validateEmail, validateNhsNumber, validateNino, validatePhone, type IdentifierCheck } from '../../matching/identifiers/index.js';
import { UPRN_TEXT_PATTERN } from '../../schemas/common.js';

export interface CheckResult {
  /** Normalised when valid; otherwise the raw text trimmed. */
  value: string;
  valid: boolean;
  /** The rule broken, when not valid. */
  rule: string | null;
}

export interface Checks {
  nhsNumber(raw: string): CheckResult;
  nino(raw: string): CheckResult;
  phone(raw: string): CheckResult;
  email(raw: string): CheckResult;
  /** An ISO date of birth against the DOB rules (not before 1900, not after `today` when given). */
  dateOfBirth(iso: string, today?: string): { valid: boolean; rule: string | null };
}

/** "not a calendar date" from a validator becomes the rule "dob-not-a-calendar-date". */
const ruleOf = (prefix: string, problem: string | undefined): string =>
  `${prefix}-${(problem ?? 'invalid').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;

const fromCheck = (prefix: string, raw: string, check: IdentifierCheck): CheckResult =>
  check.valid && check.normalised !== null ? { value: check.normalised, valid: true, rule: null } : { value: raw.trim(), valid: false, rule: ruleOf(prefix, check.problem) };

/**
 * The check with its last answer remembered: the parties of one row mostly
 * share its email. The checks are pure, and results are only read.
 */
function rememberingLast<T>(check: (raw: string) => T): (raw: string) => T {
  let lastRaw: string | null = null;
  let last: T | null = null;
  return (raw) => {
    if (raw !== lastRaw || last === null) {
      last = check(raw);
      lastRaw = raw;
    }
    return last;
  };
}

// Enough for the distinct values of a large extract's stretch; at about 200 bytes an entry, a few MB at most.
const REMEMBERED = 20_000;

/**
 * The check with its answers remembered by input text, up to REMEMBERED of
 * them (then forgotten all at once, so memory stays flat). For phones and
 * postcodes: a row's parties share them, households and blocks of flats
 * repeat them, and the phone check (libphonenumber, about 50 µs a number)
 * was the costliest part of mapping.
 */
function remembering<T>(check: (raw: string) => T): (raw: string) => T {
  const answers = new Map<string, T>();
  return (raw) => {
    let answer = answers.get(raw);
    if (answer === undefined) {
      answer = check(raw);
      if (answers.size >= REMEMBERED) answers.clear();
      answers.set(raw, answer);
    }
    return answer;
  };
}

/** No `today` means no date is in the future: callers that know the date pass it. */
const NO_FUTURE_LIMIT = '9999-12-31';

export const defaultChecks: Checks = {
  nhsNumber: (raw) => fromCheck('nhs-number', raw, validateNhsNumber(raw)),
  nino: (raw) => fromCheck('nino', raw, validateNino(raw)),
  phone: remembering((raw) => fromCheck('phone', raw, validatePhone(raw))),
  email: rememberingLast((raw) => fromCheck('email', raw, validateEmail(raw))),
  dateOfBirth: (iso, today) => {
    const check = validateDob(iso, today ?? NO_FUTURE_LIMIT);
    return check.valid ? { valid: true, rule: null } : { valid: false, rule: ruleOf('dob', check.problem) };
  },
};

export const checkPostcode: (raw: string) => CheckResult = remembering((raw) => {
  const trimmed = raw.trim();
  if (isValidPostcode(trimmed)) return { value: toNormalised(trimmed) ?? trimmed, valid: true, rule: null };
  return { value: trimmed.toUpperCase().replace(/\s+/g, ' '), valid: false, rule: 'postcode-format' };
});

/** The rule the API's UprnText has: one rule for UPRN text wherever it comes in. */
const UPRN_TEXT = new RegExp(UPRN_TEXT_PATTERN);

export function checkUprn(raw: string): { value: number | null; rule: string | null } {
  const trimmed = raw.trim();
  return UPRN_TEXT.test(trimmed) ? { value: Number(trimmed), rule: null } : { value: null, rule: 'uprn-format' };
}
