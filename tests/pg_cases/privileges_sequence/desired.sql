-- options: with-privileges
CREATE SEQUENCE s;
GRANT USAGE, SELECT ON SEQUENCE s TO sb_writer;
