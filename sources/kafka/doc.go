// Package kafka reads Kafka topics for CDC tables and append-only sources.
//
// Decoders turn one Kafka record into changes keyed by the table's primary
// key (Debezium envelopes, plain JSON rows, upsert JSON with the key in the
// record key); Consumer reads every partition of a topic with
// read_committed, starting from offsets the caller stored in its own
// checkpoint (never from consumer-group commits) and picking up partitions
// added while running. Connection options (bootstrap servers, SASL, TLS)
// are parsed by internal/kafkaconn.
//
// WITH options of a Kafka table or source:
//
//	connector = 'kafka'                        required
//	topic = '...'                              required
//	properties.bootstrap.server = 'h:p,...'    required
//	scan.startup.mode = 'earliest' | 'latest' | 'timestamp'   (default earliest)
//	scan.startup.timestamp.millis = '...'      with 'timestamp'
//	on_error = 'fail' | 'skip'                 bad records stop the source (fail,
//	                                           default) or go to streamdb.source_errors
//	missing_column_policy = 'error' | 'null'   a declared column absent from a
//	                                           record is an error (default) or NULL
//	properties.security.protocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL'
//	properties.sasl.mechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'
//	properties.sasl.username, properties.sasl.password
//	properties.ssl.ca.location, properties.ssl.certificate.location, properties.ssl.key.location
//
// Debezium value encodings: decimals as strings, JSON numbers, or base64
// big-endian unscaled integers (the scale from the schema part, else the
// column's); dates as days since 1970-01-01; timestamps as
// io.debezium.time.Timestamp (ms), MicroTimestamp (µs), NanoTimestamp (ns)
// or ZonedTimestamp strings — without a schema part an epoch number's unit
// is guessed from its magnitude (< 1e14 ms, < 1e17 µs, else ns); times as
// µs since midnight (ms for io.debezium.time.Time); bytes as base64;
// json/jsonb as JSON text in a string. Tombstones (null values) are
// ignored; op 't' (truncate) is a bad record.
package kafka
