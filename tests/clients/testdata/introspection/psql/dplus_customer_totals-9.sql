-- tool: psql 15 (Debian postgresql-client-15)
-- call: dplus_customer_totals
-- source: captured from a PostgreSQL 15 log (log_statement=all) while psql ran the backslash command (the same text psql -E prints)
SELECT c.oid::pg_catalog.regclass
    FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
    WHERE c.oid = i.inhparent AND i.inhrelid = '{{oid:public.customer_totals}}'
      AND c.relkind != 'p' AND c.relkind != 'I'
    ORDER BY inhseqno;
