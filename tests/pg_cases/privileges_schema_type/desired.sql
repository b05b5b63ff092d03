-- options: with-privileges
CREATE SCHEMA app;
CREATE TYPE app.kind AS ENUM ('a');
GRANT USAGE ON SCHEMA app TO sb_reader;
REVOKE USAGE ON TYPE app.kind FROM PUBLIC;
GRANT USAGE ON TYPE app.kind TO sb_writer;
