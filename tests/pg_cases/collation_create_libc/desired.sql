CREATE COLLATION bytewise (provider = libc, lc_collate = 'C', lc_ctype = 'POSIX');
COMMENT ON COLLATION bytewise IS 'byte order';
CREATE COLLATION posix_order (provider = libc, locale = 'POSIX');
CREATE TABLE t (name text COLLATE bytewise, label text COLLATE posix_order);
