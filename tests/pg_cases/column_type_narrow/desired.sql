CREATE TABLE t (name varchar(10));
