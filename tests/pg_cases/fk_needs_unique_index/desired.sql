CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL);
CREATE UNIQUE INDEX customers_email_idx ON customers (email);
CREATE TABLE tickets (id int PRIMARY KEY, customer_email text REFERENCES customers (email));
