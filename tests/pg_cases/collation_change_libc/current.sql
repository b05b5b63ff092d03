CREATE COLLATION bytewise (provider = libc, locale = 'C');
