CREATE FUNCTION half(amount numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT amount / 2';
CREATE TABLE prices (amount numeric DEFAULT half(10), CONSTRAINT prices_positive CHECK (half(amount) >= 0));
CREATE VIEW halves AS SELECT half(amount) AS h FROM prices;
