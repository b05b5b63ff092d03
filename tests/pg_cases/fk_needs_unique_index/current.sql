CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL);
CREATE TABLE tickets (id int PRIMARY KEY, customer_email text);
