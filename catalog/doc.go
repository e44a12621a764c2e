// Package catalog holds the definitions of every schema object (schemas,
// tables, columns, indexes, views, materialized views, sequences, sources,
// sinks, roles) as descriptors, persisted in the state store so that they
// survive restarts, and generates the rows of the system catalogs
// (pg_catalog, information_schema, streamdb) from them.
//
// Catalog keeps its records in the TableStore's Pebble instance under the
// 'c' prefix (see catalog.go for the key layout; values are JSON) and loads
// them all into memory at Open. Every DDL is one synced Pebble batch, so it
// is durable before the statement completes, and bumps Version. Reads take
// a read lock only; descriptors handed out are shared and immutable, so a
// DDL works on a Clone and installs it with Update.
//
// OIDs of user objects come from one durable counter starting at
// FirstUserOID, persisted in the batch of the DDL that used them, so they
// are never reused. The built-in schemas keep the OIDs of descriptor.go and
// the bootstrap superuser "streamdb" has OID 10, as in Postgres.
package catalog
