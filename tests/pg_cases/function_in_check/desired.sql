CREATE FUNCTION is_even(n int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT n % 2 = 0';
CREATE TABLE t (v int CHECK (is_even(v)));
