CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
COMMENT ON COLLATION ci IS 'case-insensitive';
CREATE COLLATION german (provider = libc, locale = 'C');
CREATE TABLE t (name text COLLATE ci, label text COLLATE german);
