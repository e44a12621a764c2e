// Package sources holds the connectors that feed tables from outside:
// sources/kafka decodes Debezium, plain and upsert JSON records from Kafka
// topics. Like every connector package it imports only sql/types; the
// server wires a source to the table store and the catalog.
package sources
