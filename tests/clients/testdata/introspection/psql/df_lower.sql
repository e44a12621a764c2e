-- tool: psql 15 (Debian postgresql-client-15)
-- call: df_lower
-- source: captured from a PostgreSQL 15 log (log_statement=all) while psql ran the backslash command (the same text psql -E prints)
SELECT n.nspname as "Schema",
      p.proname as "Name",
      pg_catalog.pg_get_function_result(p.oid) as "Result data type",
      pg_catalog.pg_get_function_arguments(p.oid) as "Argument data types",
     CASE p.prokind
      WHEN 'a' THEN 'agg'
      WHEN 'w' THEN 'window'
      WHEN 'p' THEN 'proc'
      ELSE 'func'
     END as "Type"
    FROM pg_catalog.pg_proc p
         LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE p.proname OPERATOR(pg_catalog.~) '^(lower)$' COLLATE pg_catalog.default
      AND pg_catalog.pg_function_is_visible(p.oid)
    ORDER BY 1, 2, 4;
