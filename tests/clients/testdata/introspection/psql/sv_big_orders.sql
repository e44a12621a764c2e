-- tool: psql 15 (Debian postgresql-client-15)
-- call: sv_big_orders
-- source: captured from a PostgreSQL 15 log (log_statement=all) while psql ran the backslash command (the same text psql -E prints)
SELECT 'big_orders'::pg_catalog.regclass::pg_catalog.oid
