/** Where the curated nickname table lives, for the code that reads it (matching itself does no I/O). */
export const CURATED_NICKNAMES_URL = new URL('./nicknames.csv', import.meta.url);
