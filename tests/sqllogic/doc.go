// Package sqllogic runs the SQL logic tests under testdata/ (the
// sqllogictest dialect, DESIGN.md section 8) against a fresh in-process
// server per file:
//
//	go test ./tests/sqllogic                        # every file
//	go test ./tests/sqllogic -run 'TestSQLLogic/group/dml$' # one file
//	go test ./tests/sqllogic -rewrite       # rewrite expected results in place
//	go test ./tests/sqllogic -update-known  # regenerate KNOWN_FAILURES
//	SQLLOGIC_EXTERNAL_DSN=postgres://postgres@127.0.0.1:5432/postgres go test ./tests/sqllogic
//	                                        # check the expectations against a real PostgreSQL
//
// The expected results are PostgreSQL's. Records the engine cannot pass yet
// are listed in KNOWN_FAILURES: their failures are logged, not reported.
//
// Records:
//
//	statement ok | statement error [SQLSTATE or regexp]
//	query <types> [nosort|rowsort|valuesort]   results after ----, one row per line,
//	                                           columns separated by one space,
//	                                           NULL for null, (empty) for ''
//	query error [SQLSTATE or regexp]
//	restart     close the server and start it again on the same data directory
//	flush       run FLUSH
//	halt        stop reading the file
//	skipif X / onlyif X   skip the next record if X is (is not) postgresql or streamdb
//	# comment
//
// Values are fetched in text format through the simple query protocol, so
// they print exactly as psql prints them.
package sqllogic
