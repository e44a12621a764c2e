-- tool: psql 15 (Debian postgresql-client-15)
-- call: d_customers_email_key
-- source: captured from a PostgreSQL 15 log (log_statement=all) while psql ran the backslash command (the same text psql -E prints)
SELECT a.attname,
      pg_catalog.format_type(a.atttypid, a.atttypmod),
      CASE WHEN a.attnum <= (SELECT i.indnkeyatts FROM pg_catalog.pg_index i WHERE i.indexrelid = '{{oid:public.customers_email_key}}') THEN 'yes' ELSE 'no' END AS is_key,
      pg_catalog.pg_get_indexdef(a.attrelid, a.attnum, TRUE) AS indexdef
    FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = '{{oid:public.customers_email_key}}' AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attnum;
