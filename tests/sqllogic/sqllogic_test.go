package sqllogic

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/streamdb/streamdb/server"
)

var (
	rewrite     = flag.Bool("rewrite", false, "rewrite the expected results of query records in place")
	updateKnown = flag.Bool("update-known", false, "rewrite "+knownFailuresFile+" with the records failing now")
)

// knownFailuresFile lists records (file.slt:line) that fail today because
// the engine lacks a feature. The expectations in testdata stay what
// PostgreSQL returns; a listed failure is logged instead of failing the
// test, so the corpus can be ahead of the engine. Regenerate it with
// -update-known after fixing the engine or editing a file.
const knownFailuresFile = "KNOWN_FAILURES"

// failureLog collects the failing records of every file (for -update-known)
// and knows which failures are expected.
type failureLog struct {
	known map[string]bool
	mu    sync.Mutex
	now   []string
}

func loadKnownFailures(t *testing.T) *failureLog {
	fl := &failureLog{known: make(map[string]bool)}
	data, err := os.ReadFile(knownFailuresFile)
	if os.IsNotExist(err) {
		return fl
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if line = strings.TrimSpace(line); line != "" {
			fl.known[line] = true
		}
	}
	return fl
}

// fail reports a failing record: an error unless it is a known failure.
func (fl *failureLog) fail(t *testing.T, key, format string, args ...any) {
	t.Helper()
	fl.mu.Lock()
	fl.now = append(fl.now, key)
	fl.mu.Unlock()
	if fl.known[key] && !*updateKnown {
		t.Logf("known failure (listed in %s): "+format, append([]any{knownFailuresFile}, args...)...)
		return
	}
	if *updateKnown {
		t.Logf(format, args...)
		return
	}
	t.Errorf(format, args...)
}

func (fl *failureLog) write(t *testing.T) {
	sort.Strings(fl.now)
	var b strings.Builder
	b.WriteString("# Records of testdata/*.slt that fail today (see knownFailuresFile in sqllogic_test.go).\n")
	b.WriteString("# Regenerate: go test ./tests/sqllogic -update-known\n")
	prev := ""
	for _, k := range fl.now {
		if k != prev {
			b.WriteString(k + "\n")
		}
		prev = k
	}
	if err := os.WriteFile(knownFailuresFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// externalDSNEnv names a PostgreSQL URL to run the files against instead of
// an in-process server: the way to check that expectations are what
// PostgreSQL returns. Each file gets a fresh database there; restart only
// reconnects and flush is skipped.
const externalDSNEnv = "SQLLOGIC_EXTERNAL_DSN"

// statementTimeout bounds one record, so a hang fails the file instead of
// the whole test binary.
const statementTimeout = 60 * time.Second

func TestSQLLogic(t *testing.T) {
	var files []string
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".slt") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no .slt files under testdata")
	}
	failures := loadKnownFailures(t)
	// The files run in parallel inside this group; it returns when all are
	// done.
	t.Run("group", func(t *testing.T) {
		for _, path := range files {
			name := strings.TrimSuffix(strings.TrimPrefix(filepath.ToSlash(path), "testdata/"), ".slt")
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				runFile(t, name, path, failures)
			})
		}
	})
	if *updateKnown {
		failures.write(t)
	}
}

// recordKind is the kind of one sqllogictest record.
type recordKind int

const (
	recStatementOK recordKind = iota
	recStatementError
	recQuery
	recQueryError
	recRestart
	recFlush
)

type sortMode int

const (
	noSort sortMode = iota
	rowSort
	valueSort
)

// record is one parsed record of an .slt file.
type record struct {
	kind    recordKind
	line    int // 1-based line of the record header
	sql     string
	pattern string // error records: SQLSTATE or regexp, may be empty
	types   string // query: one letter per column
	sort    sortMode
	// expected holds the result lines of a query; expectedFrom/expectedTo
	// are their 0-based line range in the file (for -rewrite).
	expected                 []string
	expectedFrom, expectedTo int
	hasSeparator             bool
	separatorLine            int // 0-based index of "----"
}

// sqlstatePattern recognises an error pattern that is a SQLSTATE code.
var sqlstatePattern = regexp.MustCompile(`^[0-9A-Z]{5}$`)

// parseFile splits an .slt file into records.
func parseFile(t *testing.T, path string, lines []string) []record {
	t.Helper()
	var recs []record
	skipNext := false
	i := 0
	// readSQL collects lines up to a blank line or "----".
	readSQL := func() string {
		var sql []string
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" && strings.TrimSpace(lines[i]) != "----" {
			sql = append(sql, lines[i])
			i++
		}
		return strings.Join(sql, "\n")
	}
	for i < len(lines) {
		line := strings.TrimSpace(lines[i])
		header := i + 1
		if line == "" || strings.HasPrefix(line, "#") {
			i++
			continue
		}
		fields := strings.Fields(line)
		i++
		var rec record
		rec.line = header
		switch fields[0] {
		case "halt":
			return recs
		case "hash-threshold":
			continue
		case "skipif", "onlyif":
			matches := len(fields) > 1 && (fields[1] == "postgresql" || fields[1] == "streamdb")
			if (fields[0] == "skipif") == matches {
				skipNext = true
			}
			continue
		case "restart":
			rec.kind = recRestart
		case "flush":
			rec.kind = recFlush
		case "statement":
			if len(fields) < 2 {
				t.Fatalf("%s:%d: statement needs ok or error", path, header)
			}
			switch fields[1] {
			case "ok":
				rec.kind = recStatementOK
			case "error":
				rec.kind = recStatementError
				rec.pattern = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(line, "statement")), "error"))
			default:
				t.Fatalf("%s:%d: unknown statement mode %q", path, header, fields[1])
			}
			rec.sql = readSQL()
		case "query":
			if len(fields) >= 2 && fields[1] == "error" {
				rec.kind = recQueryError
				rec.pattern = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(line, "query")), "error"))
				rec.sql = readSQL()
				break
			}
			rec.kind = recQuery
			for _, f := range fields[1:] {
				switch f {
				case "nosort":
					rec.sort = noSort
				case "rowsort":
					rec.sort = rowSort
				case "valuesort":
					rec.sort = valueSort
				default:
					if rec.types == "" {
						rec.types = f
					}
					// Anything else is a label; labels are not used.
				}
			}
			rec.sql = readSQL()
			if i < len(lines) && strings.TrimSpace(lines[i]) == "----" {
				rec.hasSeparator = true
				rec.separatorLine = i
				i++
				rec.expectedFrom = i
				for i < len(lines) && lines[i] != "" {
					rec.expected = append(rec.expected, lines[i])
					i++
				}
				rec.expectedTo = i
			} else {
				rec.expectedFrom, rec.expectedTo = i, i
			}
		default:
			t.Fatalf("%s:%d: unknown record %q", path, header, line)
		}
		if skipNext {
			skipNext = false
			continue
		}
		if rec.sql == "" && (rec.kind != recRestart && rec.kind != recFlush) {
			t.Fatalf("%s:%d: record has no SQL", path, header)
		}
		recs = append(recs, rec)
	}
	return recs
}

// harness owns the server and connection of one file.
type harness struct {
	t    *testing.T
	opts server.Options
	srv  *server.Server
	conn *pgconn.PgConn
	// externalURL is the database URL when running against PostgreSQL.
	externalURL string
}

// testLogWriter sends server logs to the test log.
type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// newHarness prepares a fresh server (or external database) for one file.
func newHarness(t *testing.T, name string) *harness {
	h := &harness{t: t, opts: server.Options{
		Listen:  "127.0.0.1:0",
		HTTP:    "-",
		DataDir: t.TempDir(),
		// Warnings and errors go to the test log, shown with failures.
		Logger: slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}}
	dsn := os.Getenv(externalDSNEnv)
	if dsn == "" {
		return h
	}
	ctx, cancel := context.WithTimeout(context.Background(), statementTimeout)
	defer cancel()
	admin, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to %s: %v", externalDSNEnv, err)
	}
	defer admin.Close(ctx)
	db := "slt_" + regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(name), "_")
	for _, sql := range []string{"DROP DATABASE IF EXISTS " + db + " WITH (FORCE)", "CREATE DATABASE " + db} {
		if _, err := admin.Exec(ctx, sql).ReadAll(); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database = db
	h.externalURL = fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, db)
	if cfg.Password != "" {
		h.externalURL = fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Password, cfg.Host, cfg.Port, db)
	}
	return h
}

func (h *harness) start() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), statementTimeout)
	defer cancel()
	if h.externalURL != "" {
		conn, err := pgconn.Connect(ctx, h.externalURL)
		if err != nil {
			h.t.Fatalf("connecting to %s: %v", h.externalURL, err)
		}
		h.conn = conn
		return
	}
	srv, err := server.Start(ctx, h.opts)
	if err != nil {
		h.t.Fatalf("starting server: %v", err)
	}
	h.srv = srv
	conn, err := pgconn.Connect(ctx, "postgres://streamdb@"+srv.PGAddr()+"/streamdb?sslmode=disable&application_name=sqllogic")
	if err != nil {
		h.t.Fatalf("connecting to %s: %v", srv.PGAddr(), err)
	}
	h.conn = conn
}

func (h *harness) stop() {
	if h.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = h.conn.Close(ctx)
		cancel()
		h.conn = nil
	}
	if h.srv != nil {
		if err := h.srv.Close(); err != nil {
			h.t.Errorf("closing server: %v", err)
		}
		h.srv = nil
	}
}

// queryResult is one statement's result in text format.
type queryResult struct {
	columns int
	types   string // one sqllogictest letter per column
	rows    [][][]byte
}

// typeLetter maps a result column's type OID to its sqllogictest letter:
// I integer, R numeric or float, B boolean, T anything else.
func typeLetter(oid uint32) byte {
	switch oid {
	case 20, 21, 23: // int8, int2, int4
		return 'I'
	case 700, 701, 1700: // float4, float8, numeric
		return 'R'
	case 16:
		return 'B'
	}
	return 'T'
}

// exec runs sql through the simple query protocol and returns the last
// row-returning result (or the last result) and the first error.
func (h *harness) exec(sql string) (queryResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), statementTimeout)
	defer cancel()
	mrr := h.conn.Exec(ctx, sql)
	var last queryResult
	haveRows := false
	var firstErr error
	for mrr.NextResult() {
		rr := mrr.ResultReader()
		res := queryResult{columns: len(rr.FieldDescriptions())}
		letters := make([]byte, 0, res.columns)
		for _, fd := range rr.FieldDescriptions() {
			letters = append(letters, typeLetter(fd.DataTypeOID))
		}
		res.types = string(letters)
		for rr.NextRow() {
			values := rr.Values()
			row := make([][]byte, len(values))
			for i, v := range values {
				if v != nil {
					row[i] = append([]byte{}, v...)
				}
			}
			res.rows = append(res.rows, row)
		}
		if _, err := rr.Close(); err != nil && firstErr == nil {
			firstErr = err
		}
		if res.columns > 0 || !haveRows {
			last, haveRows = res, res.columns > 0
		}
	}
	if err := mrr.Close(); err != nil && firstErr == nil {
		firstErr = err
	}
	return last, firstErr
}

func runFile(t *testing.T, name, path string, failures *failureLog) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	recs := parseFile(t, path, lines)

	h := newHarness(t, name)
	h.start()
	defer h.stop()

	// replacements maps a query record's index in recs to its actual
	// result lines, for -rewrite.
	replacements := make(map[int][]string)
	for idx, rec := range recs {
		where := fmt.Sprintf("%s:%d", path, rec.line)
		key := fmt.Sprintf("%s.slt:%d", name, rec.line)
		switch rec.kind {
		case recRestart:
			h.stop()
			h.start()
		case recFlush:
			if h.externalURL != "" {
				continue // PostgreSQL has no FLUSH; its writes are visible at once.
			}
			if _, err := h.exec("FLUSH"); err != nil {
				failures.fail(t, key, "%s: flush: %v", where, err)
			}
		case recStatementOK:
			if _, err := h.exec(rec.sql); err != nil {
				failures.fail(t, key, "%s: statement failed\n  sql: %s\n  expected: ok\n  actual: %s", where, rec.sql, describeError(err))
			}
		case recStatementError, recQueryError:
			_, err := h.exec(rec.sql)
			if err == nil {
				failures.fail(t, key, "%s: statement succeeded\n  sql: %s\n  expected: error %s", where, rec.sql, rec.pattern)
				continue
			}
			if msg := matchError(rec.pattern, err); msg != "" {
				failures.fail(t, key, "%s: wrong error\n  sql: %s\n  expected: error %s\n  actual: %s", where, rec.sql, rec.pattern, msg)
			}
		case recQuery:
			res, err := h.exec(rec.sql)
			if err != nil {
				failures.fail(t, key, "%s: query failed\n  sql: %s\n  actual: %s", where, rec.sql, describeError(err))
				continue
			}
			if *rewrite && res.columns != len(rec.types) {
				header := strings.TrimSpace(lines[rec.line-1])
				if rec.types == "" {
					lines[rec.line-1] = strings.Replace(header, "query", "query "+res.types, 1)
				} else {
					lines[rec.line-1] = strings.Replace(header, "query "+rec.types, "query "+res.types, 1)
				}
			} else if rec.types != "" && res.columns != len(rec.types) {
				failures.fail(t, key, "%s: query returned %d columns, type string %q has %d\n  sql: %s",
					where, res.columns, rec.types, len(rec.types), rec.sql)
			}
			actual := formatRows(res.rows, rec.sort)
			expected := normalizeExpected(rec.expected, rec.sort)
			replacements[idx] = actual
			if !equalLines(actual, expected) {
				if *rewrite {
					continue
				}
				failures.fail(t, key, "%s: wrong result\n  sql: %s\n  expected:\n%s\n  actual:\n%s",
					where, rec.sql, indent(expected), indent(actual))
			}
		}
	}
	if *rewrite {
		rewriteFile(t, path, lines, recs, replacements)
	}
}

// describeError renders a server error with its SQLSTATE.
func describeError(err error) string {
	if pgErr, ok := err.(*pgconn.PgError); ok {
		return fmt.Sprintf("ERROR %s: %s", pgErr.Code, pgErr.Message)
	}
	return err.Error()
}

// matchError returns "" when err matches pattern (a SQLSTATE, or a regexp
// over the message; empty matches any error), else a description of err.
func matchError(pattern string, err error) string {
	pgErr, isPG := err.(*pgconn.PgError)
	if pattern == "" {
		if isPG {
			return ""
		}
		return describeError(err) + " (not a server error)"
	}
	if sqlstatePattern.MatchString(pattern) {
		if isPG && pgErr.Code == pattern {
			return ""
		}
		return describeError(err)
	}
	re, reErr := regexp.Compile(pattern)
	if reErr != nil {
		return fmt.Sprintf("bad pattern %q: %v", pattern, reErr)
	}
	msg := err.Error()
	if isPG {
		msg = pgErr.Message
	}
	if re.MatchString(msg) {
		return ""
	}
	return describeError(err)
}

// formatValue prints one text-format value the sqllogictest-rs way.
func formatValue(v []byte) string {
	switch {
	case v == nil:
		return "NULL"
	case len(v) == 0:
		return "(empty)"
	}
	return string(v)
}

func formatRows(rows [][][]byte, mode sortMode) []string {
	if mode == valueSort {
		var values []string
		for _, row := range rows {
			for _, v := range row {
				values = append(values, formatValue(v))
			}
		}
		sort.Strings(values)
		return values
	}
	out := make([]string, 0, len(rows))
	for _, row := range rows {
		vals := make([]string, len(row))
		for i, v := range row {
			vals[i] = formatValue(v)
		}
		out = append(out, strings.Join(vals, " "))
	}
	if mode == rowSort {
		sort.Strings(out)
	}
	return out
}

// normalizeExpected sorts expected lines the way formatRows sorts actual
// ones, so files need not be written pre-sorted.
func normalizeExpected(lines []string, mode sortMode) []string {
	out := append([]string(nil), lines...)
	switch mode {
	case rowSort:
		sort.Strings(out)
	case valueSort:
		out = out[:0]
		for _, l := range lines {
			out = append(out, strings.Split(l, " ")...)
		}
		sort.Strings(out)
	}
	return out
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func indent(lines []string) string {
	if len(lines) == 0 {
		return "    (no rows)"
	}
	return "    " + strings.Join(lines, "\n    ")
}

// rewriteFile writes the file back with each query's expected result
// replaced by the actual one.
func rewriteFile(t *testing.T, path string, lines []string, recs []record, replacements map[int][]string) {
	var out []string
	next := 0
	for idx, rec := range recs {
		actual, ok := replacements[idx]
		if !ok {
			continue
		}
		if rec.hasSeparator {
			out = append(out, lines[next:rec.expectedFrom]...)
		} else {
			out = append(out, lines[next:rec.expectedFrom]...)
			out = append(out, "----")
		}
		out = append(out, actual...)
		next = rec.expectedTo
	}
	out = append(out, lines[next:]...)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for _, l := range out {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
