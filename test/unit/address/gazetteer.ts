/** A hand-built synthetic address index with the matcher's traps. */
import type { IndexedAddress } from '../../../schemas/bs7666.js';

const STREETS: Record<number, { street: string; locality: string | null; town: string }> = {
  7001: { street: 'MILL LANE', locality: 'NORTHBY', town: 'EXAMPLETON' },
  7002: { street: 'MILL ROAD', locality: 'NORTHBY', town: 'EXAMPLETON' },
  7003: { street: 'HIGH STREET', locality: null, town: 'EXAMPLETON' },
  7004: { street: 'CHURCH ROAD', locality: 'NORTHBY', town: 'EXAMPLETON' },
  7005: { street: 'CHURCH ROAD', locality: 'SOUTHBY', town: 'EXAMPLETON' },
};

type Spec = Partial<IndexedAddress> & { uprn: number; usrn: number; postcode: string };

export function addr(spec: Spec): IndexedAddress {
  const street = STREETS[spec.usrn];
  if (!street) throw new Error(`unknown usrn ${spec.usrn}`);
  return {
    lpiKey: `${spec.uprn}L${spec.logicalStatus ?? 1}`, language: 'ENG', logicalStatus: 1, blpuStatus: 1, parentUprn: null,
    saoStartNumber: null, saoStartSuffix: null, saoEndNumber: null, saoEndSuffix: null, saoText: null,
    paoStartNumber: null, paoStartSuffix: null, paoEndNumber: null, paoEndSuffix: null, paoText: null,
    organisation: null, classification: 'RD04', ...street, ...spec,
  };
}

export const ROWS: IndexedAddress[] = [
  addr({ uprn: 100001, usrn: 7001, postcode: 'ZZ1 1AB', paoStartNumber: 2 }),
  addr({ uprn: 100001, usrn: 7001, postcode: 'ZZ1 1AB', logicalStatus: 8, paoText: 'MILLERS COTTAGE' }),
  addr({ uprn: 100002, usrn: 7001, postcode: 'ZZ1 1AB', paoStartNumber: 2, paoStartSuffix: 'A' }),
  addr({ uprn: 100003, usrn: 7002, postcode: 'ZZ1 1AD', paoStartNumber: 12, paoEndNumber: 14 }),
  addr({ uprn: 100004, usrn: 7001, postcode: 'ZZ1 1AB', paoText: 'ROSE COTTAGE' }),
  addr({ uprn: 100005, usrn: 7002, postcode: 'ZZ1 1AD', paoStartNumber: 2 }),
  addr({ uprn: 100006, usrn: 7001, postcode: 'ZZ1 1AB', paoStartNumber: 4 }),
  // A block: the parent shell and three flats, FLAT 1A written as text.
  addr({ uprn: 100010, usrn: 7003, postcode: 'ZZ1 2BD', paoStartNumber: 5, paoText: 'RIVERSIDE COURT', classification: 'PP' }),
  addr({ uprn: 100011, usrn: 7003, postcode: 'ZZ1 2BD', parentUprn: 100010, saoText: 'FLAT', saoStartNumber: 1, paoStartNumber: 5, paoText: 'RIVERSIDE COURT', classification: 'RD06' }),
  addr({ uprn: 100012, usrn: 7003, postcode: 'ZZ1 2BD', parentUprn: 100010, saoText: 'FLAT 1A', paoStartNumber: 5, paoText: 'RIVERSIDE COURT', classification: 'RD06' }),
  addr({ uprn: 100013, usrn: 7003, postcode: 'ZZ1 2BD', parentUprn: 100010, saoText: 'FLAT', saoStartNumber: 2, paoStartNumber: 5, paoText: 'RIVERSIDE COURT', classification: 'RD06' }),
  // The same street name in two localities, each with a 10.
  addr({ uprn: 100020, usrn: 7004, postcode: 'ZZ1 3CA', paoStartNumber: 10 }),
  addr({ uprn: 100021, usrn: 7005, postcode: 'ZZ1 4DA', paoStartNumber: 10 }),
  // The only unit of number 20, with no parent row.
  addr({ uprn: 100031, usrn: 7003, postcode: 'ZZ1 2BE', saoText: 'GROUND FLOOR FLAT', paoStartNumber: 20, classification: 'RD06' }),
  // A retired property and its successor at the same address.
  addr({ uprn: 100040, usrn: 7003, postcode: 'ZZ1 2BE', blpuStatus: 8, logicalStatus: 8, paoStartNumber: 30 }),
  addr({ uprn: 100041, usrn: 7003, postcode: 'ZZ1 2BE', paoStartNumber: 30 }),
  // Scottish tenement flats at number 15.
  addr({ uprn: 100050, usrn: 7003, postcode: 'ZZ1 2BF', saoText: 'FLAT 2/1', paoStartNumber: 15, classification: 'RD06' }),
  addr({ uprn: 100051, usrn: 7003, postcode: 'ZZ1 2BF', saoText: 'FLAT 1/1', paoStartNumber: 15, classification: 'RD06' }),
  // A business with an alternative LPI naming the building.
  addr({ uprn: 100060, usrn: 7003, postcode: 'ZZ1 2BG', paoStartNumber: 7, organisation: 'SMITH JONES AND CO', classification: 'CO01' }),
  addr({ uprn: 100060, usrn: 7003, postcode: 'ZZ1 2BG', logicalStatus: 3, paoText: 'THE OLD FORGE', classification: 'CO01' }),
  // A flat lettered A at number 40, with no 40A.
  addr({ uprn: 100070, usrn: 7003, postcode: 'ZZ1 2BH', saoText: 'FLAT A', paoStartNumber: 40, classification: 'RD06' }),
  addr({ uprn: 100071, usrn: 7003, postcode: 'ZZ1 2BH', saoText: 'FLAT B', paoStartNumber: 40, classification: 'RD06' }),
  // A block whose number is also one of its flats' numbers.
  addr({ uprn: 100080, usrn: 7003, postcode: 'ZZ1 2BJ', paoStartNumber: 9, paoText: 'KINGFISHER HOUSE', classification: 'PP' }),
  addr({ uprn: 100081, usrn: 7003, postcode: 'ZZ1 2BJ', parentUprn: 100080, saoStartNumber: 9, paoStartNumber: 9, paoText: 'KINGFISHER HOUSE', classification: 'RD06' }),
  addr({ uprn: 100082, usrn: 7003, postcode: 'ZZ1 2BJ', parentUprn: 100080, saoStartNumber: 10, paoStartNumber: 9, paoText: 'KINGFISHER HOUSE', classification: 'RD06' }),
  // Building plots, as historic LPIs of the houses built on them.
  addr({ uprn: 100006, usrn: 7001, postcode: 'ZZ1 1AB', logicalStatus: 8, paoText: 'PLOT 7' }),
  addr({ uprn: 100004, usrn: 7001, postcode: 'ZZ1 1AB', logicalStatus: 8, paoText: 'PLOT 9' }),
];

export const CROSS_REFERENCES = [{ crossReference: 'CTR0100001', uprn: 100001 }];
export const SUCCESSORS = [{ uprn: 100040, successor: 100041 }];
