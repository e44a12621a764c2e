package views

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestPsqlInsertFlushSelect is the user story with the real psql
// client: INSERT into a table, FLUSH, SELECT the updated view; \dm lists
// the view.
func TestPsqlInsertFlushSelect(t *testing.T) {
	bin, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed (make test-deps installs it)")
	}
	in := startInstance(t)
	host, port, _ := strings.Cut(in.srv.PGAddr(), ":")
	script := `CREATE TABLE orders (id int PRIMARY KEY, customer text, amount numeric);
CREATE MATERIALIZED VIEW revenue AS SELECT customer, sum(amount) AS total, count(*) AS n FROM orders GROUP BY customer;
INSERT INTO orders VALUES (1, 'ann', 10.50), (2, 'bob', 3), (3, 'ann', 1.25);
FLUSH;
SELECT * FROM revenue ORDER BY customer;
UPDATE orders SET customer = 'bob' WHERE id = 3;
DELETE FROM orders WHERE id = 2;
FLUSH;
SELECT * FROM revenue ORDER BY customer;
\dm
`
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-X", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", port, "-U", "streamdb", "-d", "streamdb")
	cmd.Stdin = strings.NewReader(script)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10", "PAGER=", "PSQL_PAGER=", "PGTZ=UTC")
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	want := ` customer | total | n 
----------+-------+---
 ann      | 11.75 | 2
 bob      |     3 | 1
(2 rows)

UPDATE 1
DELETE 1
FLUSH
 customer | total | n 
----------+-------+---
 ann      | 10.50 | 1
 bob      |  1.25 | 1
(2 rows)
`
	if !strings.Contains(string(out), want) {
		t.Errorf("psql output does not contain\n%s\noutput:\n%s", want, out)
	}
	if !strings.Contains(string(out), "| revenue | materialized view |") {
		t.Errorf(`\dm does not list revenue as a materialized view:\n%s`, out)
	}
}
