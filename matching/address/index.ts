export { normaliseAddress, normaliseName, spaceControls, tokenise, foldAddress, searchWords, spellingsOf, streetType, isNumberish, STREET_TYPES, UNIT_WORDS, FLOOR_WORDS } from './normalise.js';
export {
  normalisePostcode, repairPostcode, findPostcode, postcodeSector, postcodeOutward, comparePostcodes, type FoundPostcode, type PostcodeLevel,
} from './postcode.js';
export { parseAddress, parseObjectText, readNumber, emptyObject, type AddressObject, type ParsedAddress } from './parse.js';
export { buildVocabulary, EMPTY_VOCABULARY, type Vocabulary, type VocabularyNames } from './vocabulary.js';
export { builtinParser, loadLibpostalParser, fromPostalComponents, type AddressParser } from './parser.js';
export { comparableObject, prepareInput, prepareCandidate, type ComparableObject, type ComparableAddress, type PreparedCandidate } from './prepare.js';
export {
  compareAddress, compareNumbers, compareText, compareSao, compareStreet, similarNames,
  type FieldLevels, type NumberLevel, type TextLevel, type SaoLevel, type StreetLevel, type AreaLevel, type OrganisationLevel,
} from './compare.js';
export { scoreLevels, maximumWeight, WEIGHTS, type Scored } from './score.js';
export type { CandidateSource, StreetScope, Awaitable } from './candidates.js';
export { MemoryCandidateSource, type MemorySourceData } from './memory-source.js';
export { formatAddress } from './format.js';
export {
  matchAddress, inputKey, candidateSummary, compareWithProperty, INVALID_POSTCODE_REASON, PO_BOX_REASON, POSTCODE_ONLY_REASON,
  type Comparison, type MatchInput, type MatchOptions, type MatchResult, type MatchStatus, type MatchExplanation, type CandidateSummary, type Evidence,
} from './match.js';
