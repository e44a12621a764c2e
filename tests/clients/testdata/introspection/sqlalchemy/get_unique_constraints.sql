-- tool: SQLAlchemy 1.4.46 PostgreSQL dialect inspector over psycopg2 2.9.5 (Debian python3-sqlalchemy)
-- call: get_unique_constraints
-- source: captured from a PostgreSQL 15 log (log_statement=all) while the Inspector method ran (capture.py)

                SELECT
                    cons.conname as name,
                    cons.conkey as key,
                    a.attnum as col_num,
                    a.attname as col_name
                FROM
                    pg_catalog.pg_constraint cons
                    join pg_attribute a
                      on cons.conrelid = a.attrelid AND
                        a.attnum = ANY(cons.conkey)
                WHERE
                    cons.conrelid = {{oid:public.customers}} AND
                    cons.contype = 'u'
