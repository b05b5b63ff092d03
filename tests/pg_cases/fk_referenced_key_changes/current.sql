CREATE TABLE accounts (id int, region text NOT NULL, code text NOT NULL, CONSTRAINT accounts_pkey PRIMARY KEY (id));
CREATE UNIQUE INDEX accounts_code_key ON accounts (code);
CREATE TABLE invoices (id int PRIMARY KEY, account_id int REFERENCES accounts (id), account_code text REFERENCES accounts (code));
