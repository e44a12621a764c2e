-- tool: SQLAlchemy 1.4.46 PostgreSQL dialect inspector over psycopg2 2.9.5 (Debian python3-sqlalchemy)
-- call: get_foreign_keys
-- source: captured from a PostgreSQL 15 log (log_statement=all) while the Inspector method ran (capture.py)

              SELECT r.conname,
                    pg_catalog.pg_get_constraintdef(r.oid, true) as condef,
                    n.nspname as conschema
              FROM  pg_catalog.pg_constraint r,
                    pg_namespace n,
                    pg_class c
    
              WHERE r.conrelid = {{oid:public.orders}} AND
                    r.contype = 'f' AND
                    c.oid = confrelid AND
                    n.oid = c.relnamespace
              ORDER BY 1
