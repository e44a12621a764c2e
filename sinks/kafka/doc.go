// Package kafka writes a change stream to a Kafka topic exactly once.
//
// Encoder turns changes (+, -, U-/U+) into upsert JSON (key = the
// primary-key columns, value = the row or a tombstone), Debezium JSON
// envelopes, or plain JSON rows (append-only). Producer writes each batch
// of changes in one Kafka transaction under a transactional id that is
// stable per sink. Every record carries the input position it was
// produced for in a header, so after a crash the sink reads the committed
// tail of its topic (read_committed) and resumes after the highest
// position there: a batch is either wholly in Kafka or wholly replayed.
package kafka
