-- One row per index, with its key columns (NULL for expressions) and what it backs.
-- The definition of a plain b-tree or hash index over columns (default operator classes and
-- collations, ascending, no predicate or storage options) is spelled here exactly as
-- pg_get_indexdef spells it; every other index goes through pg_get_indexdef. Deparsing is the
-- costliest part of a snapshot on a cold backend, and plain indexes are nearly all of them.
-- A default operator class declared FOR a domain is never the default pg_get_indexdef leaves out
-- (it looks for the domain's base type's), so a column of that domain is not plain.
WITH index_keys AS (
  SELECT i.indexrelid, i.indnkeyatts, c.ord, a.attname,
         a.attnum IS NOT NULL
           AND ((i.indclass::oid[])[c.ord - 1], a.atttypid) IN (SELECT o.oid, o.opcintype FROM pg_opclass o JOIN pg_type ot ON ot.oid = o.opcintype
                                                          WHERE o.opcdefault AND ot.typtype <> 'd')
           AND (i.indcollation::oid[])[c.ord - 1] IN (0, a.attcollation) AS plain
    FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS c(attnum, ord)
    LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = c.attnum AND c.attnum <> 0
), index_columns AS (
  SELECT indexrelid, array_agg(attname ORDER BY ord) AS columns,
         string_agg(quote_ident(attname), ', ' ORDER BY ord) FILTER (WHERE ord <= indnkeyatts) AS key_list,
         string_agg(quote_ident(attname), ', ' ORDER BY ord) FILTER (WHERE ord > indnkeyatts) AS include_list,
         bool_and(ord > indnkeyatts OR plain) AS plain
    FROM index_keys
   GROUP BY indexrelid
)
SELECT n.nspname AS schema, ic.relname AS name, tc.relname AS table_name,
       CASE WHEN k.plain AND i.indexprs IS NULL AND i.indpred IS NULL AND ic.reloptions IS NULL
                 AND am.amname IN ('btree', 'hash') AND 0 = ALL (i.indoption::int2[])
            THEN 'CREATE ' || CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX '
                 || quote_ident(ic.relname) || ' ON ' || CASE WHEN ic.relkind = 'I' THEN 'ONLY ' ELSE '' END
                 || quote_ident(n.nspname) || '.' || quote_ident(tc.relname)
                 || ' USING ' || quote_ident(am.amname) || ' (' || k.key_list || ')'
                 || coalesce(' INCLUDE (' || k.include_list || ')', '')
                 || CASE WHEN {nulls_not_distinct} THEN ' NULLS NOT DISTINCT' ELSE '' END
            ELSE pg_get_indexdef(i.indexrelid) END AS definition,
       am.amname AS method, i.indisunique AS is_unique, i.indisprimary AS is_primary,
       i.indisvalid AS is_valid, i.indnkeyatts AS key_count,
       k.columns,
       pg_get_expr(i.indexprs, i.indrelid) AS expressions,
       pg_get_expr(i.indpred, i.indrelid) AS predicate,
       con.conname AS constraint_name,
       pg_relation_size(i.indexrelid) AS size_bytes,
       ic.relkind = 'I' AS is_partitioned,
       ds.description AS comment,
       quote_ident(pn.nspname) || '.' || quote_ident(pc.relname) AS parent_index
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class tc ON tc.oid = i.indrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_am am ON am.oid = ic.relam
JOIN index_columns k ON k.indexrelid = i.indexrelid
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')
LEFT JOIN pg_description ds ON ds.objoid = ic.oid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = 0
LEFT JOIN pg_inherits ih ON ih.inhrelid = i.indexrelid
LEFT JOIN pg_class pc ON pc.oid = ih.inhparent
LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND NOT n.nspname = ANY(%(excluded)s)
  AND tc.relkind IN ('r', 'p', 'm')
ORDER BY 1, 2;
