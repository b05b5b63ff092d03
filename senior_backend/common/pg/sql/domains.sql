-- One row per domain, with its named check constraints (parallel arrays, in name order).
SELECT n.nspname AS schema, t.typname AS name,
       format_type(t.typbasetype, t.typtypmod) AS base_type,
       t.typnotnull AS not_null, t.typdefault AS default_expr,
       CASE WHEN t.typcollation <> bt.typcollation THEN co.collname END AS collation,
       (SELECT array_agg(c.conname ORDER BY c.conname) FROM pg_constraint c
         WHERE c.contypid = t.oid AND c.contype = 'c') AS constraint_names,
       (SELECT array_agg(pg_get_constraintdef(c.oid) ORDER BY c.conname) FROM pg_constraint c
         WHERE c.contypid = t.oid AND c.contype = 'c') AS constraint_defs,
       obj_description(t.oid, 'pg_type') AS comment,
       pg_get_userbyid(t.typowner) AS owner
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_type bt ON bt.oid = t.typbasetype
LEFT JOIN pg_collation co ON co.oid = t.typcollation
WHERE t.typtype = 'd'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND NOT n.nspname = ANY(%(excluded)s)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY 1, 2;
