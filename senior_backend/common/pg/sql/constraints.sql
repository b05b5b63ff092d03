-- One row per table constraint (primary key, unique, foreign key, check, exclusion).
SELECT n.nspname AS schema, c.relname AS table_name, con.conname AS name, con.contype AS kind,
       pg_get_constraintdef(con.oid) AS definition,
       (SELECT array_agg(a.attname ORDER BY k.ord)
          FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns,
       CASE WHEN con.contype = 'f' THEN quote_ident(fn.nspname) || '.' || quote_ident(fc.relname) END AS ref_table,
       (SELECT array_agg(a.attname ORDER BY k.ord)
          FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) AS ref_columns,
       con.convalidated AS validated, con.condeferrable AS deferrable, con.condeferred AS deferred,
       con.conislocal AS is_local, con.conparentid <> 0 AS inherited_from_partition,
       ds.description AS comment
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
LEFT JOIN pg_description ds ON ds.objoid = con.oid AND ds.classoid = 'pg_constraint'::regclass AND ds.objsubid = 0
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND NOT n.nspname = ANY(%(excluded)s)
ORDER BY 1, 2, 3;
