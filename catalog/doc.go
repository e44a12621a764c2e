// Package catalog holds the definitions of every schema object (schemas,
// tables, columns, indexes, views, materialized views, sequences, sources,
// sinks, roles) as descriptors, persisted in the state store so that they
// survive restarts, and generates the rows of the system catalogs
// (pg_catalog, information_schema, streamdb) from them.
package catalog
