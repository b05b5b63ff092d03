CREATE TABLE base (id int);
CREATE TABLE child (id int, extra text);
