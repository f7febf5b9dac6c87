-- Up Migration

-- An audit_part is named by the SHA-256 of its text, and an insert that finds
-- the hash there already keeps the stored text (ON CONFLICT DO NOTHING). The
-- application's role may insert parts, so without this check it could store
-- a part under the hash of a text not written yet: every later entry naming
-- it would then read back (DPO listings, subject access) with the stored
-- text instead of its own, and verify would report each as edited, a break
-- nobody could repair. NOT VALID: parts stored before are checked by verify,
-- through the entries naming them.
ALTER TABLE audit_part ADD CONSTRAINT audit_part_hash_of_text
  CHECK (hash = encode(sha256(convert_to(text, 'UTF8')), 'hex')) NOT VALID;
