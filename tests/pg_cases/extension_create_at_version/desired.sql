CREATE EXTENSION cube VERSION '1.4';
CREATE TABLE shapes (id int, box cube);
