/**
 * Where the read routes get citizens from: person linkage builds the golden
 * record; the routes add policy, filtering and audit around it. Every method
 * returns unfiltered data, so nothing from here may reach a response
 * without passing the policy engine.
 */
import type pg from 'pg';
import type { CitizenView } from '../../schemas/citizen-view.js';
import type { LinkHistoryEntry } from '../../schemas/link-history.js';

export interface CitizenSearch {
  surname?: string;
  forename?: string;
  /** ISO 8601 date. */
  dob?: string;
  postcode?: string;
  uprn?: number;
  /** As typed or as presented by the telephony system (call pop-up). */
  phone?: string;
  email?: string;
  nhsNumber?: string;
  nino?: string;
  cardNumber?: string;
}

/**
 * A view may carry the references merged into it, and into each of its
 * household members (by member reference), saving the disclosure mergedInto
 * lookups.
 */
export type CitizenLookup =
  /** closed: an account emptied of records whose register records kept it (docs/person-linkage.md); it has nothing to show. */
  | { view: CitizenView; mergedRefs?: string[]; memberMergedRefs?: Record<string, string[]>; closed?: boolean }
  | { redirectTo: string }
  | null;

export interface CitizenSource {
  /**
   * The golden record as it stands on `today` (a London date: which entitlements are in force); a reference merged
   * into another answers with the survivor's reference.
   */
  view(ref: string, today: string): Promise<CitizenLookup>;
  /** Citizen references matching the criteria, best first; a larger limit extends the same list. */
  search(criteria: CitizenSearch, limit: number): Promise<string[]>;
  /** References of the citizens whose current address is the UPRN. */
  occupants(uprn: number): Promise<string[]>;
  /** References merged into this one, whose register records and disclosures are the survivor's too. */
  mergedInto?(ref: string): Promise<string[]>;
  /** mergedInto for many citizens at once (a search weighs hundreds); every reference given is a key. */
  mergedIntoEach?(refs: readonly string[]): Promise<Map<string, string[]>>;
  /** The source records linked to the citizen now (a merged reference: to its survivor). */
  linkedRecords?(ref: string): Promise<{ system: string; sourceRef: string }[]>;
  /** Link and merge history for subject access (links made and ended, steward's distinct decisions: by whom, why). */
  linkHistory?(ref: string): Promise<LinkHistoryEntry[]>;
  /**
   * The same source reading through the given connection: a disclosure's
   * citizen read and its audit entries are then one transaction. A source
   * that reads no database need not have it.
   */
  within?(db: pg.PoolClient): CitizenSource;
}
