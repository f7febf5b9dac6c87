-- Up Migration

-- The residence (current UPRN, name) each citizen's last published change
-- gave, so that publishing can tell their housemates, at the address they
-- left and the one they came to, that their views changed
-- (src/publish/households.ts). Filled as changes are published: a citizen's
-- first change after this migration tells the people at their address once.
CREATE TABLE citizen_residence (
  citizen_id bigint PRIMARY KEY REFERENCES citizen (id),
  uprn       bigint,
  name       text
);

-- Down Migration
DROP TABLE citizen_residence;
