CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);
CREATE DOMAIN a_small_positive AS positive_int CHECK (VALUE < 100);
CREATE TABLE t (id int);
CREATE DOMAIN code AS text CHECK (VALUE <> '');
CREATE DOMAIN short_code AS code CHECK (length(VALUE) < 5);
