CREATE TABLE accounts (id int, region text NOT NULL, code text NOT NULL, CONSTRAINT accounts_pkey PRIMARY KEY (id, region));
ALTER TABLE accounts ADD CONSTRAINT accounts_id_key UNIQUE (id);
CREATE UNIQUE INDEX accounts_code_key ON accounts (code) WHERE code <> '';
CREATE UNIQUE INDEX accounts_code_full ON accounts (code);
CREATE TABLE invoices (id int PRIMARY KEY, account_id int REFERENCES accounts (id), account_code text REFERENCES accounts (code));
