CREATE COLLATION bytewise (provider = libc, locale = 'C');
CREATE TABLE t (name text COLLATE bytewise);
INSERT INTO t VALUES ('b'), ('a');
CREATE INDEX t_name_idx ON t (name);
CREATE VIEW sorted_names AS SELECT name FROM t ORDER BY name;
