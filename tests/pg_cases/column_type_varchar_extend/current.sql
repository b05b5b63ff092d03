CREATE TABLE t (name varchar(20));
INSERT INTO t VALUES ('x');
