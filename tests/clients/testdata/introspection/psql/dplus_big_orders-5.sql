-- tool: psql 15 (Debian postgresql-client-15)
-- call: dplus_big_orders
-- source: captured from a PostgreSQL 15 log (log_statement=all) while psql ran the backslash command (the same text psql -E prints)
SELECT r.rulename, trim(trailing ';' from pg_catalog.pg_get_ruledef(r.oid, true))
    FROM pg_catalog.pg_rewrite r
    WHERE r.ev_class = '{{oid:public.big_orders}}' AND r.rulename != '_RETURN' ORDER BY 1;
