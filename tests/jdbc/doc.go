// Package jdbc tests streamdb with pgJDBC, the Postgres JDBC driver (the
// Debian package libpostgresql-jdbc-java, run through Java's single-file
// source launcher): DatabaseMetaData, prepared statements, fetch-size
// cursors and batches, against a real listening server.
package jdbc
