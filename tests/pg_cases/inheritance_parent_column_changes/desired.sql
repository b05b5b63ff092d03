CREATE TABLE base (id int, amount bigint NOT NULL, label varchar(10));
CREATE TABLE child (note text) INHERITS (base);
CREATE TABLE list_parent (id int, v bigint NOT NULL) PARTITION BY LIST (id);
CREATE TABLE list_part PARTITION OF list_parent FOR VALUES IN (1);
