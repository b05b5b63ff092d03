CREATE SCHEMA "My App";
CREATE TABLE "My App"."Order Items" ("select" int PRIMARY KEY, "Weird ""Name""" text);
CREATE INDEX "idx ""q""" ON "My App"."Order Items" ("Weird ""Name""");
CREATE VIEW "My App"."V" AS SELECT "select" FROM "My App"."Order Items";
