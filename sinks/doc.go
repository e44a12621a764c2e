// Package sinks holds the connectors that write changes out: sinks/kafka
// encodes upsert, Debezium and plain JSON and produces them exactly once
// with Kafka transactions. It imports only sql/types; the server feeds a
// sink from a table's or view's change log.
package sinks
