export type { PersonRecord, PreparedPerson } from './types.js';
export { foldName, normaliseForenames, normaliseSurname, generationOf, type NormalisedSurname } from './normalise.js';
export {
  parseNicknameCsv, parseRelationshipCsv, buildNicknameTable, emptyNicknameTable, nicknameRoots, areNicknames, sharesRoot,
  type NicknameTable, type NamePair,
} from './nicknames.js';
export { phoneticCodes, soundAlike } from './phonetic.js';
export { jaroWinkler, editDistance } from './similarity.js';
export { dobLevel, type DobLevel } from './dob.js';
export { prepare, type PrepareTables } from './prepare.js';
export { compareRecords, PERSON_COMPARISONS, MISSING, type Comparison } from './compare.js';
export { BLOCKING_KEYS_VERSION, candidatePairs, pairsCompleteness, reductionRatio, DEFAULT_BLOCKING_RULES, TRAINING_BLOCKING_RULES, type BlockingRule, type BlockingResult, type CandidatePair } from './blocking.js';
export { countPatterns, expectationMaximisation, type PatternCounts, type MixtureParams, type EmResult } from './em.js';
export {
  trainModel, estimateU, termFrequencies, matchProbability, weightOfProbability, DEFAULT_THRESHOLDS, MODEL_VERSION,
  type PersonModel, type FieldModel, type Thresholds, type TermFrequencies, type TrainOptions, type Decision,
} from './model.js';
export { explainPair, matchWeight, decide, householdDoubt, thinEvidence, coParties, type Doubt, type PairExplanation, type FieldWeight } from './explain.js';
export { generationAgeDoubt, rivalDoubt } from './rival.js';
export { modelToJson, modelFromJson } from './serialise.js';
export { seededRandom } from './random.js';
