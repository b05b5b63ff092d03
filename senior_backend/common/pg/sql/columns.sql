-- One row per column of every table, view and materialized view, in attribute order per relation.
-- Defaults have no column references, so they are deparsed without opening their table (only
-- generated columns need it): opening every table is most of this query's cost on a cold backend.
SELECT n.nspname AS schema, c.relname AS table_name, a.attnum AS position, a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS type,
       tn.nspname AS type_schema, t.typname AS type_name, t.typtype AS type_kind,
       a.attnotnull AS not_null,
       pg_get_expr(ad.adbin, CASE WHEN a.attgenerated = '' THEN 0 ELSE ad.adrelid END) AS default_expr,
       -- a partition's identity is its parent's: PostgreSQL 17+ copies it to the partitions, 15 does not
       CASE WHEN c.relispartition THEN '' ELSE a.attidentity END AS identity, a.attgenerated AS generated,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END AS collation,
       ds.description AS comment,
       a.attislocal AS is_local
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_namespace tn ON tn.oid = t.typnamespace
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_description ds ON ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = a.attnum
WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND NOT n.nspname = ANY(%(excluded)s)
ORDER BY c.oid, a.attnum;
