-- tool: SQLAlchemy 1.4.46 PostgreSQL dialect inspector over psycopg2 2.9.5 (Debian python3-sqlalchemy)
-- call: get_pk_constraint
-- source: captured from a PostgreSQL 15 log (log_statement=all) while the Inspector method ran (capture.py)

            SELECT conname
               FROM  pg_catalog.pg_constraint r
               WHERE r.conrelid = {{oid:public.customers}} AND r.contype = 'p'
               ORDER BY 1
