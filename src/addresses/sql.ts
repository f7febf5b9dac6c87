/** SQL of address matching: loading the index, decisions, results and the review queue. */
export const latestImport = `SELECT max(id) AS id FROM gazetteer_import WHERE status = 'applied'`;

/**
 * The whole address index as COPY text, one row a line, in the order src/addresses/index-rows.ts reads it: COPY
 * sends rows several times faster than a query's result, which pg turns into an object per row.
 */
export const copyIndexRows = `
  COPY (SELECT uprn, lpi_key, logical_status, blpu_status, parent_uprn,
               sao_start_number, sao_start_suffix, sao_end_number, sao_end_suffix, sao_text,
               pao_start_number, pao_start_suffix, pao_end_number, pao_end_suffix, pao_text,
               usrn, street, locality, town, postcode, organisation, classification, language
          FROM gazetteer.address_index) TO STDOUT`;
export const allCrossReferences = `SELECT cross_reference AS "crossReference", uprn FROM gazetteer.cross_reference WHERE end_date IS NULL`;
export const allSuccessors = `SELECT DISTINCT ON (uprn) uprn, successor FROM gazetteer.successor ORDER BY uprn, start_date DESC NULLS LAST`;

export const decisionFor = `SELECT uprn FROM address_decision WHERE input_key = $1`;
export const allDecisions = `SELECT input_key AS "inputKey", uprn FROM address_decision`;
export const saveDecision = `
  INSERT INTO address_decision (input_key, uprn, decided_by) VALUES ($1, $2, $3)
  ON CONFLICT (input_key) DO UPDATE SET uprn = EXCLUDED.uprn, decided_by = EXCLUDED.decided_by, decided_at = now()`;

export const saveMatch = `
  INSERT INTO address_match (source_record_id, input_key, uprn, status, score, evidence, explanation, decided_by)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (source_record_id) DO UPDATE SET input_key = EXCLUDED.input_key, uprn = EXCLUDED.uprn, status = EXCLUDED.status,
    score = EXCLUDED.score, evidence = EXCLUDED.evidence, explanation = EXCLUDED.explanation, decided_by = EXCLUDED.decided_by, matched_at = now()`;

/** A new open item, or one more occurrence of the open item for the same input. */
export const openReview = `
  INSERT INTO address_review (input_key, text, postcode, result) VALUES ($1, $2, $3, $4)
  ON CONFLICT (input_key) WHERE status = 'open' DO UPDATE SET occurrences = address_review.occurrences + 1, result = EXCLUDED.result`;

/**
 * The records waiting on an input: matched to review by its text, or matched by the steward's decision for it. A
 * record matched by a UPRN its source gave or by a cross reference is not: that evidence comes before any text
 * (docs/address-matching.md), so a decision about the text never moves it. `m` is the record's match.
 */
const WAITING = `m.evidence = 'address' AND (m.status = 'review' OR m.decided_by = 'steward')`;

// Counted as the decision counts the records it updates (applyDecision): each record once, whatever its versions.
export const reviewQueue = `
  SELECT a.id, a.input_key AS "inputKey", a.text, a.postcode, a.result,
         (SELECT count(DISTINCT (r.system, r.source_ref))::int FROM address_match m JOIN source_record r ON r.id = m.source_record_id
           WHERE m.input_key = a.input_key AND ${WAITING}) AS occurrences,
         to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "createdAt"
    FROM address_review a WHERE a.status = 'open' AND a.id > $1 ORDER BY a.id LIMIT $2`;
/**
 * The source records whose address is the input of each review item, once
 * per record (its latest version matched to that input): the UPRN it is
 * matched to now, and the citizen it is linked to, if linkage has placed it.
 * `waiting`: only those a decision on the item re-matches.
 */
const recordsOf = (waiting: boolean) => `
  SELECT DISTINCT ON (a.id, r.system, r.source_ref) a.id AS "reviewId", r.system, r.source_ref AS "sourceRef", m.uprn, c.ref AS "citizenRef"
    FROM address_review a
    JOIN address_match m ON m.input_key = a.input_key${waiting ? ` AND ${WAITING}` : ''}
    JOIN source_record r ON r.id = m.source_record_id
    LEFT JOIN citizen_link l ON l.system = r.system AND l.source_ref = r.source_ref AND l.ended_at IS NULL
    LEFT JOIN citizen c ON c.id = l.citizen_id
   WHERE a.id = ANY($1::bigint[])
   ORDER BY a.id, r.system, r.source_ref, r.version DESC`;
export const reviewRecords = recordsOf(false);
export const waitingRecords = recordsOf(true);
export const reviewItem = `SELECT id, input_key AS "inputKey", text, postcode, status, decision_uprn AS "decisionUprn" FROM address_review WHERE id = $1 FOR UPDATE`;
export const closeReview = `UPDATE address_review SET status = 'decided', decided_at = now(), decided_by = $2, decision_uprn = $3 WHERE id = $1`;
/**
 * A decision applies at once to every source record waiting on that input (a revised one, to those the decision
 * it replaces had matched), with the decision's explanation; returns how many records it matched.
 */
export const applyDecision = `
  WITH applied AS (
    UPDATE address_match m SET uprn = $2, status = CASE WHEN $2::bigint IS NULL THEN 'unmatched' ELSE 'matched' END,
           score = CASE WHEN $2::bigint IS NULL THEN 0 ELSE 1 END, explanation = $3, decided_by = 'steward', matched_at = now()
     WHERE m.input_key = $1 AND ${WAITING}
    RETURNING m.source_record_id)
  SELECT count(DISTINCT (r.system, r.source_ref))::int AS records FROM applied JOIN source_record r ON r.id = applied.source_record_id`;

/** Source records whose match must be looked at again after a change-only import. */
// Steward-decided matches too when their UPRN was touched: a decision naming a property the gazetteer no longer holds
// gives way to matching afresh (AddressMatcher.match), and one naming a retired property follows its successor.
export const toRematch = `
  SELECT DISTINCT m.source_record_id AS id
    FROM address_match m
   WHERE (m.decided_by = 'matcher' AND m.status <> 'matched')
      OR m.uprn IN (SELECT uprn FROM gazetteer_touched WHERE rematched_at IS NULL AND import_id = ANY($1::bigint[]))`;
/** The imports whose touched UPRNs wait for a re-match: read first, so that one committed meanwhile waits for the next. */
export const pendingImports = `SELECT DISTINCT import_id AS id FROM gazetteer_touched WHERE rematched_at IS NULL`;
export const markRematched = `UPDATE gazetteer_touched SET rematched_at = now() WHERE rematched_at IS NULL AND import_id = ANY($1::bigint[])`;

export const currentRecordAddress = `SELECT id, record FROM source_record WHERE id = ANY($1::bigint[]) AND current`;

export const matchCountsOfIntake = `
  SELECT m.status, count(*)::int AS n FROM address_match m JOIN source_record r ON r.id = m.source_record_id
   WHERE r.intake_id = $1 GROUP BY m.status ORDER BY m.status`;
