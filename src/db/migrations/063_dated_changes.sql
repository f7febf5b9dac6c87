-- Up Migration

-- The last London day whose dated changes were announced: entitlements and
-- service involvements come into force and end on their dates, with no record
-- changing, so publishing tells subscribers of the citizens concerned once a
-- day (src/publish/dated-changes.ts). One row.
CREATE TABLE dated_changes (
  id      smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  through date NOT NULL
);

-- Down Migration
DROP TABLE dated_changes;
