CREATE DOMAIN code AS text CHECK (length(VALUE) < 10);
CREATE TABLE t (c code);
