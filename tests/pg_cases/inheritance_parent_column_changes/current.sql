CREATE TABLE base (id int NOT NULL, amount int, label varchar(20));
CREATE TABLE child (note text) INHERITS (base);
CREATE TABLE list_parent (id int, v int) PARTITION BY LIST (id);
CREATE TABLE list_part PARTITION OF list_parent FOR VALUES IN (1);
INSERT INTO child VALUES (1, 5, 'x', 'n');
