-- tool: psql 15 (Debian postgresql-client-15)
-- call: dn
-- source: captured from a PostgreSQL 15 log (log_statement=all) while psql ran the backslash command (the same text psql -E prints)
SELECT n.nspname AS "Name",
      pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"
    FROM pg_catalog.pg_namespace n
    WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
    ORDER BY 1;
