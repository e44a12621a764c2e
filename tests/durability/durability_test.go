package durability

import (
	"context"
	"fmt"
	"github.com/streamdb/streamdb/tests/testutil"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ledger records, per writer, what the server acknowledged and what was in
// flight when the server died.
type ledger struct {
	mu       sync.Mutex
	acked    map[int64]bool
	inFlight map[int64]bool
}

func (l *ledger) begin(ids []int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		l.inFlight[id] = true
	}
}

func (l *ledger) ack(ids []int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		delete(l.inFlight, id)
		l.acked[id] = true
	}
}

func (l *ledger) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// writer inserts rows until the server goes away or stop closes. Writer 0
// writes three rows per explicit transaction; the others autocommit single
// rows. Concurrent writers exercise group commit.
func writer(ctx context.Context, connString string, w int, base int64, l *ledger, stop <-chan struct{}) {
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	for seq := int64(0); ; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		if w == 0 {
			ids := []int64{base + seq*3, base + seq*3 + 1, base + seq*3 + 2}
			l.begin(ids)
			tx, err := conn.Begin(ctx)
			if err != nil {
				return
			}
			for _, id := range ids {
				if _, err := tx.Exec(ctx, "INSERT INTO acked (id, writer, payload) VALUES ($1, $2, $3)", id, w, fmt.Sprintf("tx row %d", id)); err != nil {
					return
				}
			}
			if err := tx.Commit(ctx); err != nil {
				return
			}
			l.ack(ids)
			continue
		}
		id := base + seq
		l.begin([]int64{id})
		if _, err := conn.Exec(ctx, "INSERT INTO acked (id, writer, payload) VALUES ($1, $2, $3)", id, w, fmt.Sprintf("row %d", id)); err != nil {
			return
		}
		l.ack([]int64{id})
	}
}

// verify checks every acknowledged id is present and every present id was
// acknowledged or in flight.
func verify(t *testing.T, p *testutil.Process, l *ledger) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT id FROM acked")
	if err != nil {
		t.Fatalf("reading back after restart: %v\n%s", err, p.Stderr)
	}
	present := make(map[int64]bool)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		if present[id] {
			t.Errorf("id %d is present twice", id)
		}
		present[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lost := 0
	for id := range l.acked {
		if !present[id] {
			lost++
			if lost <= 10 {
				t.Errorf("acknowledged id %d was lost", id)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged rows lost", lost, len(l.acked))
	}
	for id := range present {
		if !l.acked[id] && !l.inFlight[id] {
			t.Errorf("id %d is present but was never written", id)
		}
		if !l.acked[id] {
			// The write reached the log but its acknowledgement did not
			// reach us: it counts as done from now on.
			l.acked[id] = true
		}
	}
	// Writer 0 commits three rows per transaction: a partial triple would
	// be a half-applied transaction.
	for id := range present {
		if id%cycleStride >= writerStride {
			continue // not writer 0
		}
		first := id - (id%cycleStride)%3
		for k := int64(0); k < 3; k++ {
			if !present[first+k] {
				t.Errorf("transaction of ids %d..%d is only partly present (%d missing)", first, first+2, first+k)
			}
		}
	}
	l.inFlight = make(map[int64]bool)
	t.Logf("verified %d rows (%d acknowledged)", len(present), len(l.acked))
}

// Ids are cycle*cycleStride + writer*writerStride + sequence.
const (
	cycleStride  = 10_000_000
	writerStride = 1_000_000
)

func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it; skipped with -short")
	}
	bin := testutil.BuildBinary(t)
	dataDir := t.TempDir()
	p := testutil.StartProcess(t, bin, dataDir)

	ctx := context.Background()
	setup, err := pgx.Connect(ctx, p.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := setup.Exec(ctx, "CREATE TABLE acked (id bigint PRIMARY KEY, writer int NOT NULL, payload text)"); err != nil {
		t.Fatal(err)
	}
	_ = setup.Close(ctx)

	l := &ledger{acked: map[int64]bool{}, inFlight: map[int64]bool{}}
	const writers = 4
	const cycles = 3
	for cycle := 0; cycle < cycles; cycle++ {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		before := l.ackedCount()
		for w := 0; w < writers; w++ {
			base := int64(cycle)*cycleStride + int64(w)*writerStride
			wg.Add(1)
			go func() {
				defer wg.Done()
				writer(ctx, p.ConnString(), w, base, l, stop)
			}()
		}
		// Kill once enough writes were acknowledged in this cycle, with the
		// writers still running, so some writes are in flight.
		deadline := time.Now().Add(60 * time.Second)
		for l.ackedCount()-before < 300 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if l.ackedCount()-before == 0 {
			close(stop)
			wg.Wait()
			t.Fatalf("cycle %d: no write was acknowledged in 60s\n%s", cycle, p.Stderr)
		}
		p.Kill(t)
		close(stop)
		wg.Wait()
		t.Logf("cycle %d: killed with %d rows acknowledged", cycle, l.ackedCount())

		p = testutil.StartProcess(t, bin, dataDir)
		verify(t, p, l)
		if t.Failed() {
			t.Fatalf("server log:\n%s", p.Stderr)
		}
	}

	// A clean shutdown on SIGTERM exits 0 and keeps everything too.
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.Exited:
		if err != nil {
			t.Errorf("streamdb exited with %v after SIGTERM\n%s", err, p.Stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("streamdb did not stop within 30s of SIGTERM\n%s", p.Stderr)
	}
	p = testutil.StartProcess(t, bin, dataDir)
	verify(t, p, l)
}
