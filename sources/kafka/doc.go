// Package kafka reads Kafka topics for CDC tables and append-only sources.
//
// Decoders turn one Kafka record into changes keyed by the table's primary
// key (Debezium envelopes, plain JSON rows, upsert JSON with the key in the
// record key); Consumer reads every partition of a topic with
// read_committed, starting from offsets the caller stored in its own
// checkpoint (never from consumer-group commits) and picking up partitions
// added while running. Connection options (bootstrap servers, SASL, TLS)
// are parsed from a table's WITH options by ParseConfig.
package kafka
