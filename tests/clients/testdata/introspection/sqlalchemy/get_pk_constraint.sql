-- tool: SQLAlchemy 1.4.46 PostgreSQL dialect inspector over psycopg2 2.9.5 (Debian python3-sqlalchemy)
-- call: get_pk_constraint
-- source: captured from a PostgreSQL 15 log (log_statement=all) while the Inspector method ran (capture.py)

                    SELECT a.attname
                    FROM pg_attribute a JOIN (
                        SELECT unnest(ix.indkey) attnum,
                               generate_subscripts(ix.indkey, 1) ord
                        FROM pg_index ix
                        WHERE ix.indrelid = {{oid:public.customers}} AND ix.indisprimary
                        ) k ON a.attnum=k.attnum
                    WHERE a.attrelid = {{oid:public.customers}}
                    ORDER BY k.ord
