-- tool: Grafana 10.x PostgreSQL data source (grafana-postgresql-datasource)
-- source: written down from public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts
--         (showTables / getColumns / buildSchemaConstraint), the text the table and column pickers send
-- call: column picker for table customers (getColumns, unqualified table)
SELECT quote_ident(column_name) AS "column", data_type AS "type" FROM information_schema.columns WHERE 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          ) AND table_name = 'customers'
