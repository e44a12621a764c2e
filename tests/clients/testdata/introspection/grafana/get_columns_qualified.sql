-- tool: Grafana 10.x PostgreSQL data source (grafana-postgresql-datasource)
-- source: written down from public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts
--         (showTables / getColumns / buildSchemaConstraint), the text the table and column pickers send
-- call: column picker for table public.customer_totals (getColumns, qualified table)
SELECT quote_ident(column_name) AS "column", data_type AS "type" FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'customer_totals'
