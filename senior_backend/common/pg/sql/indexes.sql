-- One row per index, with its key columns (NULL for expressions) and what it backs.
SELECT n.nspname AS schema, ic.relname AS name, tc.relname AS table_name,
       pg_get_indexdef(i.indexrelid) AS definition,
       am.amname AS method, i.indisunique AS is_unique, i.indisprimary AS is_primary,
       i.indisvalid AS is_valid, i.indnkeyatts AS key_count,
       (SELECT array_agg(CASE WHEN k.attnum = 0 THEN NULL ELSE a.attname END ORDER BY k.ord)
          FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
          LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) AS columns,
       pg_get_expr(i.indexprs, i.indrelid) AS expressions,
       pg_get_expr(i.indpred, i.indrelid) AS predicate,
       con.conname AS constraint_name,
       pg_relation_size(i.indexrelid) AS size_bytes,
       ic.relkind = 'I' AS is_partitioned,
       ds.description AS comment,
       (SELECT quote_ident(pn.nspname) || '.' || quote_ident(pc.relname)
          FROM pg_inherits ih JOIN pg_class pc ON pc.oid = ih.inhparent
          JOIN pg_namespace pn ON pn.oid = pc.relnamespace
         WHERE ih.inhrelid = i.indexrelid) AS parent_index
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class tc ON tc.oid = i.indrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')
LEFT JOIN pg_description ds ON ds.objoid = ic.oid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = 0
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND NOT n.nspname = ANY(%(excluded)s)
  AND tc.relkind IN ('r', 'p', 'm')
ORDER BY 1, 2;
