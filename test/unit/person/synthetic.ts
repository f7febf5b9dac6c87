/** Seeded synthetic people and corrupted duplicates for the person-linkage tests (no real data). */
import { seededRandom } from '../../../matching/person/random.js';
import type { PersonRecord } from '../../../matching/person/types.js';

const FORENAMES = ['OLIVER', 'AMELIA', 'GEORGE', 'ISLA', 'HARRY', 'AVA', 'NOAH', 'MIA', 'JACK', 'IVY', 'LEO', 'LILY', 'ARTHUR', 'ROSIE', 'OSCAR', 'FREYA', 'CHARLIE', 'GRACE', 'THEO', 'ELSIE', 'ALFIE', 'EVIE', 'FINLEY', 'POPPY', 'ARCHIE', 'SIENNA', 'TOBY', 'PHOEBE', 'REUBEN', 'MAISIE'];
const SURNAMES = ['SMITH', 'JONES', 'TAYLOR', 'BROWN', 'WILLIAMS', 'WILSON', 'JOHNSON', 'DAVIES', 'PATEL', 'WRIGHT', 'THOMPSON', 'EVANS', 'WALKER', 'WHITE', 'ROBERTS', 'GREEN', 'HALL', 'WOOD', 'HARRIS', 'LEWIS', 'MARTIN', 'JACKSON', 'CLARKE', 'CLARK', 'TURNER', 'HILL', 'SCOTT', 'COOPER', 'MORRIS', 'WARD', 'MOORE', 'KING', 'WATSON', 'BAKER', 'HARRISON', 'MORGAN', 'PATTERSON', 'YOUNG', 'ALLEN', 'MITCHELL'];
const STREETS = ['HIGH STREET', 'STATION ROAD', 'CHURCH LANE', 'MILL ROAD', 'PARK AVENUE', 'VICTORIA ROAD', 'GREEN LANE', 'MANOR WAY', 'QUEENS ROAD', 'KINGS DRIVE'];

export interface SyntheticSet {
  left: PersonRecord[];
  right: PersonRecord[];
  /** "leftId|rightId" of the true pairs. */
  truth: Set<string>;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Replace one letter: the typing error the corruptions use. */
function typo(text: string, random: () => number): string {
  if (text.length < 2) return text;
  const at = 1 + Math.floor(random() * (text.length - 1));
  const letter = String.fromCharCode(65 + Math.floor(random() * 26));
  return text.slice(0, at) + letter + text.slice(at + 1);
}

/**
 * `people` originals on the left; on the right a duplicate of each, where each
 * name is mistyped with probability `errorRate` and the date of birth has its
 * day and month swapped with the same probability.
 */
export function syntheticSet(people: number, seed: number, errorRate = 0.2): SyntheticSet {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const left: PersonRecord[] = [];
  const right: PersonRecord[] = [];
  const truth = new Set<string>();
  for (let i = 0; i < people; i++) {
    const forename = pick(FORENAMES);
    const surname = pick(SURNAMES);
    // Day and month both 1-12 and never equal, so that a swapped date is still a date and differs.
    const y = 1930 + Math.floor(random() * 70);
    const m = 1 + Math.floor(random() * 12);
    const d = 1 + ((m + Math.floor(random() * 11)) % 12);
    const original: PersonRecord = {
      id: `L${i}`,
      forenames: [forename],
      surname,
      dob: `${y}-${pad(m)}-${pad(d)}`,
      houseNumber: String(1 + Math.floor(random() * 120)),
      street: pick(STREETS),
      postcode: `ZZ${1 + Math.floor(random() * 9)} ${Math.floor(random() * 9)}AB`,
    };
    const duplicate: PersonRecord = {
      ...original,
      id: `R${i}`,
      forenames: [random() < errorRate ? typo(forename, random) : forename],
      surname: random() < errorRate ? typo(surname, random) : surname,
      dob: random() < errorRate ? `${y}-${pad(d)}-${pad(m)}` : original.dob,
    };
    left.push(original);
    right.push(duplicate);
    truth.add(`L${i}|R${i}`);
  }
  return { left, right, truth };
}
