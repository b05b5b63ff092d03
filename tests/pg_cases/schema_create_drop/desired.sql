CREATE SCHEMA app;
CREATE TABLE app.accounts (id int PRIMARY KEY);
CREATE TABLE app.entries (account_id int REFERENCES app.accounts (id));
