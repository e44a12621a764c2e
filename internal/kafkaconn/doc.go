// Package kafkaconn maps the connection options of a Kafka connector (the
// properties.* keys of WITH (...)) onto franz-go client options. Sources and
// sinks share it; it imports nothing of ours.
package kafkaconn
