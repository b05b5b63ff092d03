CREATE TABLE t (pos int);
