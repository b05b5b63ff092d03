CREATE SEQUENCE invoice_numbers;
SELECT nextval('invoice_numbers');
CREATE SEQUENCE countdown INCREMENT BY -1;
