/** Mapping files: load and validate them, map read records to canonical SourceRecords. */
export { loadMapping, parseMapping, validateMapping, MappingError, type Mapping, type MappingIssue } from './load.js';
export { mapRecord, sourceRefOf, type MapOptions, type MapReject, type MapResult } from './map.js';
export { readAndMap, readAndMapEach, type MappedItem } from './stream.js';
export { DEFAULT_MAPPING_FILES, loadDefaultMapping, type DefaultSystem } from './defaults.js';
export { splitName, type NameOrder, type SplitName } from './names.js';
export { parseDate, parseDateTime, compileFormat, DateFormatError, type DateResult } from './dates.js';
export { checkPostcode, checkUprn, defaultChecks, type CheckResult, type Checks } from './checks.js';
