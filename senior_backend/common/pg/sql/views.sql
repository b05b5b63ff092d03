-- One row per view and materialized view, with the relations and functions it depends on, the
-- columns it reads (pg_depend's refobjsubid; a whole-row use of a relation names the relation alone),
-- and the comments on its own columns (names and texts in two aligned arrays, in column order).
SELECT n.nspname AS schema, c.relname AS name, c.relkind = 'm' AS materialized,
       pg_get_viewdef(c.oid) AS definition,
       obj_description(c.oid, 'pg_class') AS comment,
       (SELECT array_agg(o ORDER BY o) FROM unnest(c.reloptions) AS o) AS options,
       pg_get_userbyid(c.relowner) AS owner,
       (SELECT array_agg(DISTINCT dep ORDER BY dep) FROM (
          SELECT quote_ident(dn.nspname) || '.' || quote_ident(dc.relname) AS dep
            FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
            JOIN pg_class dc ON dc.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass
            JOIN pg_namespace dn ON dn.oid = dc.relnamespace
           WHERE r.ev_class = c.oid AND dc.oid <> c.oid
          UNION ALL
          SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.proname)
                 || '(' || pg_get_function_identity_arguments(p.oid) || ')'
            FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
            JOIN pg_proc p ON p.oid = d.refobjid AND d.refclassid = 'pg_proc'::regclass
            JOIN pg_namespace pn ON pn.oid = p.pronamespace
           WHERE r.ev_class = c.oid) deps) AS depends_on,
       (SELECT array_agg(DISTINCT used ORDER BY used) FROM (
          SELECT quote_ident(dn.nspname) || '.' || quote_ident(dc.relname)
                 || coalesce('.' || quote_ident(a.attname), '') AS used
            FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
            JOIN pg_class dc ON dc.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass
            JOIN pg_namespace dn ON dn.oid = dc.relnamespace
            LEFT JOIN pg_attribute a ON a.attrelid = dc.oid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0
           WHERE r.ev_class = c.oid AND dc.oid <> c.oid) used_columns) AS uses_columns,
       cc.names AS commented_columns, cc.texts AS column_comments
FROM pg_class c
LEFT JOIN LATERAL (
  SELECT array_agg(a.attname::text ORDER BY a.attnum) AS names,
         array_agg(ds.description ORDER BY a.attnum) AS texts
    FROM pg_description ds
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ds.objsubid AND NOT a.attisdropped
   WHERE ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid > 0) cc ON true
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND NOT n.nspname = ANY(%(excluded)s)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2;
