-- One row per stand-alone composite type (CREATE TYPE ... AS (...)), attributes in order.
SELECT n.nspname AS schema, t.typname AS name,
       array_agg(a.attname ORDER BY a.attnum) AS attribute_names,
       array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum) AS attribute_types,
       obj_description(t.oid, 'pg_type') AS comment,
       pg_get_userbyid(t.typowner) AS owner
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND NOT n.nspname = ANY(%(excluded)s)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
GROUP BY n.nspname, t.typname, t.oid
ORDER BY 1, 2;
