CREATE TABLE shapes (id int);
