CREATE TABLE items (id int, name text);
CREATE FUNCTION first_item() RETURNS SETOF items LANGUAGE sql AS 'SELECT * FROM items LIMIT 1';
