CREATE COLLATION bytewise (provider = libc, locale = 'POSIX');
CREATE TABLE t (name text COLLATE bytewise);
CREATE INDEX t_name_idx ON t (name);
CREATE VIEW sorted_names AS SELECT name FROM t ORDER BY name;
