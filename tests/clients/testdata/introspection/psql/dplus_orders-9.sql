-- tool: psql 15 (Debian postgresql-client-15)
-- call: dplus_orders
-- source: captured from a PostgreSQL 15 log (log_statement=all) while psql ran the backslash command (the same text psql -E prints)
SELECT c.oid::pg_catalog.regclass, c.relkind, inhdetachpending, pg_catalog.pg_get_expr(c.relpartbound, c.oid)
    FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
    WHERE c.oid = i.inhrelid AND i.inhparent = '{{oid:public.orders}}'
    ORDER BY pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT', c.oid::pg_catalog.regclass::pg_catalog.text;
