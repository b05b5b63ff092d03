-- One row per enum type, values in sort order, with what uses it (directly, as an array, or
-- through a domain over it): `column|default|domain|constraint|index|view <key>` or
-- `other <description>`; the schema diff needs them to recreate the enum.
SELECT n.nspname AS schema, t.typname AS name,
       array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels,
       obj_description(t.oid, 'pg_type') AS comment,
       pg_get_userbyid(t.typowner) AS owner,
       (SELECT array_agg(DISTINCT u.dep ORDER BY u.dep) FROM (
          SELECT CASE
                   WHEN d.classid = 'pg_class'::regclass AND c.relkind IN ('r', 'p', 'f') AND d.objsubid > 0
                     THEN 'column ' || quote_ident(cn.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(a.attname)
                   WHEN d.classid = 'pg_class'::regclass AND c.relkind IN ('v', 'm')
                     THEN 'view ' || quote_ident(cn.nspname) || '.' || quote_ident(c.relname)
                   WHEN d.classid = 'pg_class'::regclass AND c.relkind IN ('i', 'I')
                     THEN 'index ' || quote_ident(cn.nspname) || '.' || quote_ident(c.relname)
                   WHEN d.classid = 'pg_attrdef'::regclass
                     THEN 'default ' || quote_ident(adn.nspname) || '.' || quote_ident(adc.relname) || '.' || quote_ident(ada.attname)
                   WHEN d.classid = 'pg_type'::regclass AND dt.typtype = 'd' AND d.refobjid = t.oid
                     THEN 'domain ' || quote_ident(dtn.nspname) || '.' || quote_ident(dt.typname)
                   WHEN d.classid = 'pg_constraint'::regclass AND con.conrelid <> 0
                     THEN 'constraint ' || quote_ident(conn.nspname) || '.' || quote_ident(conc.relname) || '.' || quote_ident(con.conname)
                   WHEN d.classid = 'pg_constraint'::regclass AND con.contypid = ANY(ref.domains)
                     THEN 'domain ' || quote_ident(dtn2.nspname) || '.' || quote_ident(dt2.typname)
                   WHEN d.classid = 'pg_rewrite'::regclass AND vc.relkind IN ('v', 'm')
                     THEN 'view ' || quote_ident(vn.nspname) || '.' || quote_ident(vc.relname)
                   ELSE 'other ' || pg_describe_object(d.classid, d.objid, d.objsubid)
                 END AS dep
            FROM (SELECT array_agg(dd.oid) AS domains,
                         array_agg(dd.oid) || array_agg(dd.typarray) || ARRAY[t.oid, t.typarray] AS oids
                    FROM (SELECT 0::oid AS oid, 0::oid AS typarray
                          UNION ALL SELECT x.oid, x.typarray FROM pg_type x
                           WHERE x.typtype = 'd' AND x.typbasetype = t.oid) dd) ref
            JOIN pg_depend d ON d.refclassid = 'pg_type'::regclass AND d.refobjid = ANY(ref.oids) AND d.deptype = 'n'
            LEFT JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
            LEFT JOIN pg_namespace cn ON cn.oid = c.relnamespace
            LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
            LEFT JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
            LEFT JOIN pg_class adc ON adc.oid = ad.adrelid
            LEFT JOIN pg_namespace adn ON adn.oid = adc.relnamespace
            LEFT JOIN pg_attribute ada ON ada.attrelid = ad.adrelid AND ada.attnum = ad.adnum
            LEFT JOIN pg_type dt ON d.classid = 'pg_type'::regclass AND dt.oid = d.objid
            LEFT JOIN pg_namespace dtn ON dtn.oid = dt.typnamespace
            LEFT JOIN pg_constraint con ON d.classid = 'pg_constraint'::regclass AND con.oid = d.objid
            LEFT JOIN pg_class conc ON conc.oid = con.conrelid
            LEFT JOIN pg_namespace conn ON conn.oid = conc.relnamespace
            LEFT JOIN pg_type dt2 ON dt2.oid = con.contypid
            LEFT JOIN pg_namespace dtn2 ON dtn2.oid = dt2.typnamespace
            LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
            LEFT JOIN pg_class vc ON vc.oid = r.ev_class
            LEFT JOIN pg_namespace vn ON vn.oid = vc.relnamespace) u) AS used_by
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_enum e ON e.enumtypid = t.oid
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND NOT n.nspname = ANY(%(excluded)s)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
GROUP BY n.nspname, t.typname, t.oid
ORDER BY 1, 2;
