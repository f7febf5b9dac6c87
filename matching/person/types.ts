/** A person as the linkage library sees one source record. Every field but the id may be missing. */
export interface PersonRecord {
  id: string;
  forenames: string[];
  surname: string;
  /** ISO date, YYYY-MM-DD. */
  dob: string | null;
  sex?: 'M' | 'F' | null;
  nhsNumber?: string | null;
  nino?: string | null;
  uprn?: number | null;
  postcode?: string | null;
  street?: string | null;
  houseNumber?: string | null;
  town?: string | null;
  phone?: string | null;
  email?: string | null;
  /** A source-specific identifier shared by the files being linked (e.g. a benefits reference); compared loosely. */
  otherId?: string | null;
  /**
   * The source accounts or cases the record is a party of ("revenues|CT4000123"):
   * two records named on one account (joint liable parties, joint tenants) are two people.
   */
  accounts?: string[];
}

/** The normalised forms and codes of one record, computed once by `prepare`. */
export interface PreparedPerson {
  id: string;
  /** Normalised forenames, titles and initials' dots removed. */
  forenames: string[];
  /** First forename, or null. */
  forename: string | null;
  /** Names the first forename is a nickname of, or is (from the nickname table). */
  forenameRoots: string[];
  forenameCode: string | null;
  /** Surname as one token: "SMITH-JONES" and "SMITH JONES" are both "SMITHJONES". */
  surname: string | null;
  /** The parts of a double-barrelled surname, particles left out. */
  surnameParts: string[];
  /** Double Metaphone codes of the surname (primary, alternate). */
  surnameCodes: [string, string] | null;
  /** JNR / SNR / II / III taken off the name, or null. */
  generation: string | null;
  dob: string | null;
  sex: 'M' | 'F' | null;
  nhsNumber: string | null;
  nino: string | null;
  uprn: number | null;
  postcode: string | null;
  postcodeSector: string | null;
  postcodeDistrict: string | null;
  street: string | null;
  houseNumber: string | null;
  town: string | null;
  phone: string | null;
  email: string | null;
  otherId: string | null;
  accounts: string[];
}
