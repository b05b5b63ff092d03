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
  SELECT 'event trigger', quote_ident(e.evtname), 'public' FROM pg_event_trigger e
   WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_event_trigger'::regclass AND d.objid = e.oid AND d.deptype = 'e')
) u
WHERE schema NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND NOT schema = ANY(%(excluded)s)
ORDER BY 1, 2;
