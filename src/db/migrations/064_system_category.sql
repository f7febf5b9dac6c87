-- Up Migration

-- The data category each of the council's own source systems holds, as the
-- hub last put it in force (its mapping file's `category`, MAPPING_FILES;
-- schemas/categories.ts). A hub starting with another category for a system,
-- or without a system it had, records the change in the audit trail as its
-- own register change (src/register/system-categories.ts): what a system's
-- records disclose to whom changes with it, so the DPO sees when and how.
CREATE TABLE system_category (
  system   text PRIMARY KEY,
  category text NOT NULL,
  since    timestamptz NOT NULL
);

-- Down Migration
DROP TABLE system_category;
