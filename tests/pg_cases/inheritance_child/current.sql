CREATE TABLE base (id int, created date);
