-- tool: psql 15 (Debian postgresql-client-15)
-- call: dplus_customers
-- source: captured from a PostgreSQL 15 log (log_statement=all) while psql ran the backslash command (the same text psql -E prints)
SELECT oid, stxrelid::pg_catalog.regclass, stxnamespace::pg_catalog.regnamespace::pg_catalog.text AS nsp, stxname,
    pg_catalog.pg_get_statisticsobjdef_columns(oid) AS columns,
      'd' = any(stxkind) AS ndist_enabled,
      'f' = any(stxkind) AS deps_enabled,
      'm' = any(stxkind) AS mcv_enabled,
    stxstattarget
    FROM pg_catalog.pg_statistic_ext
    WHERE stxrelid = '{{oid:public.customers}}'
    ORDER BY nsp, stxname;
