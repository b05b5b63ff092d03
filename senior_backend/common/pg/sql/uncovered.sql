-- Objects the schema diff does not cover, one row each, so that they are reported rather than ignored.
SELECT kind, name FROM (
  SELECT 'rule' AS kind, quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(r.rulename) AS name,
         n.nspname AS schema
    FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE r.rulename <> '_RETURN'
  UNION ALL
  SELECT CASE p.prokind WHEN 'a' THEN 'aggregate' ELSE 'window function' END,
         quote_ident(n.nspname) || '.' || quote_ident(p.proname), n.nspname
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE p.prokind IN ('a', 'w') AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
  UNION ALL
  SELECT 'operator', quote_ident(n.nspname) || '.' || o.oprname, n.nspname
    FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
   WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_operator'::regclass AND d.objid = o.oid AND d.deptype = 'e')
  UNION ALL
  SELECT 'foreign table', quote_ident(n.nspname) || '.' || quote_ident(c.relname), n.nspname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'f'
  UNION ALL
  SELECT 'table storage parameters', quote_ident(n.nspname) || '.' || quote_ident(c.relname)
         || ' (' || array_to_string(c.reloptions, ', ') || ')', n.nspname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND c.reloptions IS NOT NULL
  UNION ALL
  SELECT 'replica identity', quote_ident(n.nspname) || '.' || quote_ident(c.relname)
         || CASE c.relreplident WHEN 'f' THEN ' (FULL)' WHEN 'n' THEN ' (NOTHING)' ELSE ' (USING INDEX)' END, n.nspname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND c.relreplident <> 'd'
  UNION ALL
  SELECT 'column storage or statistics', quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.'
         || quote_ident(a.attname) || ' (' || concat_ws(', ',
            CASE WHEN a.attstorage <> t.typstorage THEN 'STORAGE ' || CASE a.attstorage WHEN 'p' THEN 'PLAIN'
                 WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END END,
            CASE WHEN coalesce(a.attstattarget::int, -1) >= 0 THEN 'STATISTICS ' || a.attstattarget END) || ')',
         n.nspname
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_type t ON t.oid = a.atttypid
   WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
     AND (a.attstorage <> t.typstorage OR coalesce(a.attstattarget::int, -1) >= 0)
  UNION ALL
  SELECT 'default privileges', pg_get_userbyid(d.defaclrole) || coalesce(' in schema ' || quote_ident(n.nspname), '')
         || ' on ' || CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions'
            WHEN 'T' THEN 'types' ELSE 'schemas' END, coalesce(n.nspname, 'public')
    FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
  UNION ALL
  SELECT 'event trigger', quote_ident(e.evtname), 'public' FROM pg_event_trigger e
   WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_event_trigger'::regclass AND d.objid = e.oid AND d.deptype = 'e')
) u
WHERE schema NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND NOT schema = ANY(%(excluded)s)
ORDER BY 1, 2;
