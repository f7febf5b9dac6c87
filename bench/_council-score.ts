/**
 * Scoring linkage of the synthetic council against the generator's ground
 * truth (truth.csv: which synthetic person each record is; hard-cases.csv:
 * twins, father and son): pairwise precision, recall and F1 of "same
 * account", the exact normalised name + date of birth baseline, and the hard
 * cases that ended in one account. Shared by bench/linkage-council.ts and
 * bench/linkage-scale.ts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { normaliseForenames, normaliseSurname } from '../matching/person/index.js';
import type { SourceRecord } from '../schemas/source-record.js';

export const key = (system: string, ref: string) => `${system}|${ref}`;

export interface TruthRow { system: string; source_ref: string; person_id: string; uprn: string }

export const readTruth = (dir: string) => parse(readFileSync(path.join(dir, 'truth.csv'), 'utf8'), { columns: true }) as TruthRow[];

export interface Score { predicted: number; tp: number; precision: number; recall: number; f1: number }

/** Pairwise precision, recall and F1 of clusters of record keys against the true person of each record. */
export function score(clusters: Iterable<string[]>, personOf: Map<string, string>, truePairs: number): Score {
  let predicted = 0;
  let tp = 0;
  for (const members of clusters) {
    for (let i = 0; i < members.length; i++) {
      for (let j = i + 1; j < members.length; j++) {
        predicted++;
        if (personOf.get(members[i]!) === personOf.get(members[j]!)) tp++;
      }
    }
  }
  const precision = predicted === 0 ? 0 : tp / predicted;
  const recall = truePairs === 0 ? 0 : tp / truePairs;
  return { predicted, tp, precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
}

/** Items grouped by a key, each group's values in item order. */
export function group<T>(items: Iterable<T>, by: (t: T) => string, value: (t: T) => string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const item of items) {
    const k = by(item);
    const members = out.get(k);
    if (members) members.push(value(item));
    else out.set(k, [value(item)]);
  }
  return out;
}

/** The number of pairs within groups. */
export const pairsOf = (groups: Iterable<string[]>) => [...groups].reduce((n, m) => n + (m.length * (m.length - 1)) / 2, 0);

/**
 * The baseline's key of a record: exact normalised first forename, surname and date of birth (the current name, else the
 * first); a record without a date of birth is alone.
 */
export function exactKey(system: string, sourceRef: string, names: SourceRecord['names'], dateOfBirth: string | null): string {
  const name = names.find((n) => n.kind === 'current') ?? names[0]!;
  return dateOfBirth === null
    ? key(system, sourceRef)
    : `${normaliseForenames(name.forenames)[0] ?? ''}|${normaliseSurname(name.surname)?.joined ?? ''}|${dateOfBirth}`;
}

export interface HardCaseCounts { byKind: Map<string, { cases: number; merged: number }>; merged: string[] }

/** The hard cases (hard-cases.csv) whose two people share an account. */
export function hardCases(dir: string, records: Iterable<{ key: string; citizenId: string | null }>, personOf: Map<string, string>): HardCaseCounts {
  const citizenOfPerson = new Map<string, Set<string>>();
  for (const r of records) {
    if (r.citizenId === null) continue;
    const p = personOf.get(r.key)!;
    citizenOfPerson.set(p, (citizenOfPerson.get(p) ?? new Set()).add(r.citizenId));
  }
  const hard = parse(readFileSync(path.join(dir, 'hard-cases.csv'), 'utf8'), { columns: true }) as { kind: string; person_a: string; person_b: string }[];
  const byKind = new Map<string, { cases: number; merged: number }>();
  const merged: string[] = [];
  for (const c of hard) {
    const a = citizenOfPerson.get(c.person_a);
    const b = citizenOfPerson.get(c.person_b);
    const both = !!a && !!b && [...a].some((x) => b.has(x));
    const entry = byKind.get(c.kind) ?? { cases: 0, merged: 0 };
    entry.cases++;
    if (both) {
      entry.merged++;
      merged.push(`${c.kind}: ${c.person_a} + ${c.person_b}`);
    }
    byKind.set(c.kind, entry);
  }
  return { byKind, merged };
}

/** A hash of a partition (accounts as sets of record keys), whatever the account ids: two runs that formed the same accounts agree. */
export function partitionHash(clusters: Iterable<string[]>): string {
  const accounts = [...clusters].map((m) => [...m].sort().join(',')).sort();
  const hash = createHash('sha256');
  for (const a of accounts) hash.update(`${a}\n`);
  return hash.digest('hex').slice(0, 16);
}
