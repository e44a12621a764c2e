-- tool: psql 15 (Debian postgresql-client-15)
-- call: dplus_customer_totals
-- source: captured from a PostgreSQL 15 log (log_statement=all) while psql ran the backslash command (the same text psql -E prints)
SELECT pg_catalog.pg_get_viewdef('{{oid:public.customer_totals}}'::pg_catalog.oid, true);
