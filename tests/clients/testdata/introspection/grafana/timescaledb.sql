-- tool: Grafana 10.x PostgreSQL data source (grafana-postgresql-datasource)
-- source: written down from public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts
--         (showTables / getColumns / buildSchemaConstraint), the text the table and column pickers send
-- call: data source health check: is TimescaleDB installed (checkHealth / timescaledb detection)
SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'
