CREATE TABLE t (a int, d int);
