-- One row per object that depends on a function and keeps it from being dropped: column defaults,
-- generated columns, table and domain constraints, indexes (expressions and predicates), policies
-- and anything else ('other', described by PostgreSQL). Views and triggers are read with their own
-- kinds. Keys use the snapshot's formats: function `schema.name(args)`, column `schema.table.column`.
WITH deps AS (
  SELECT DISTINCT d.classid, d.objid, d.objsubid, d.refobjid
    FROM pg_depend d
   WHERE d.refclassid = 'pg_proc'::regclass AND d.deptype = 'n'
     AND d.classid NOT IN ('pg_rewrite'::regclass, 'pg_trigger'::regclass)
)
SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.proname)
         || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS function_key,
       CASE
         WHEN ad.oid IS NOT NULL THEN CASE WHEN a.attgenerated = 's' THEN 'generated' ELSE 'default' END
         WHEN con.oid IS NOT NULL AND con.conrelid <> 0 THEN 'constraint'
         WHEN con.oid IS NOT NULL THEN 'domain'
         WHEN ic.oid IS NOT NULL AND icon.oid IS NOT NULL THEN 'constraint'
         WHEN ic.oid IS NOT NULL THEN 'index'
         WHEN pol.oid IS NOT NULL THEN 'policy'
         ELSE 'other'
       END AS kind,
       CASE
         WHEN ad.oid IS NOT NULL
           THEN quote_ident(adn.nspname) || '.' || quote_ident(adc.relname) || '.' || quote_ident(a.attname)
         WHEN con.oid IS NOT NULL AND con.conrelid <> 0
           THEN quote_ident(conn.nspname) || '.' || quote_ident(conc.relname) || '.' || quote_ident(con.conname)
         WHEN con.oid IS NOT NULL
           THEN quote_ident(ctn.nspname) || '.' || quote_ident(ct.typname)
         WHEN ic.oid IS NOT NULL AND icon.oid IS NOT NULL
           THEN quote_ident(icn.nspname) || '.' || quote_ident(ict.relname) || '.' || quote_ident(icon.conname)
         WHEN ic.oid IS NOT NULL THEN quote_ident(icn.nspname) || '.' || quote_ident(ic.relname)
         WHEN pol.oid IS NOT NULL
           THEN quote_ident(poln.nspname) || '.' || quote_ident(polc.relname) || '.' || quote_ident(pol.polname)
         ELSE pg_describe_object(deps.classid, deps.objid, deps.objsubid)
       END AS dependent_key
FROM deps
JOIN pg_proc p ON p.oid = deps.refobjid
JOIN pg_namespace pn ON pn.oid = p.pronamespace
LEFT JOIN pg_attrdef ad ON deps.classid = 'pg_attrdef'::regclass AND ad.oid = deps.objid
LEFT JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
LEFT JOIN pg_class adc ON adc.oid = ad.adrelid
LEFT JOIN pg_namespace adn ON adn.oid = adc.relnamespace
LEFT JOIN pg_constraint con ON deps.classid = 'pg_constraint'::regclass AND con.oid = deps.objid
LEFT JOIN pg_class conc ON conc.oid = con.conrelid
LEFT JOIN pg_namespace conn ON conn.oid = conc.relnamespace
LEFT JOIN pg_type ct ON ct.oid = con.contypid
LEFT JOIN pg_namespace ctn ON ctn.oid = ct.typnamespace
LEFT JOIN pg_class ic ON deps.classid = 'pg_class'::regclass AND ic.oid = deps.objid AND ic.relkind IN ('i', 'I')
LEFT JOIN pg_namespace icn ON icn.oid = ic.relnamespace
LEFT JOIN pg_index ix ON ix.indexrelid = ic.oid
LEFT JOIN pg_class ict ON ict.oid = ix.indrelid
LEFT JOIN pg_constraint icon ON icon.conindid = ic.oid AND icon.conrelid = ix.indrelid AND icon.contype IN ('p', 'u', 'x')
LEFT JOIN pg_policy pol ON deps.classid = 'pg_policy'::regclass AND pol.oid = deps.objid
LEFT JOIN pg_class polc ON polc.oid = pol.polrelid
LEFT JOIN pg_namespace poln ON poln.oid = polc.relnamespace
WHERE p.prokind IN ('f', 'p')
  AND pn.nspname NOT IN ('pg_catalog', 'information_schema') AND NOT pn.nspname = ANY(%(excluded)s)
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
ORDER BY 1, 2, 3;
