CREATE COLLATION bytewise (provider = libc, locale = 'POSIX');
CREATE TABLE t (name text);
