CREATE COLLATION codepoint (provider = builtin, locale = 'C');
CREATE COLLATION unicode_fast (provider = builtin, locale = 'PG_UNICODE_FAST');
CREATE TABLE t (name text COLLATE codepoint, label text COLLATE unicode_fast);
