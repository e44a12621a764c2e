package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestKafkaChildServer is the server process of TestKafkaKill9; it does
// nothing in a normal test run.
func TestKafkaChildServer(t *testing.T) {
	dir, listen := os.Getenv("STREAMDB_KAFKA_CHILD_DIR"), os.Getenv("STREAMDB_KAFKA_CHILD_LISTEN")
	if dir == "" {
		t.Skip("helper process of TestKafkaKill9")
	}
	srv, err := Start(context.Background(), Options{
		Listen: listen, HTTP: "-", DataDir: dir, BarrierInterval: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		// No periodic checkpoint: a completed one truncates the change
		// logs, which expectedSinkRecords counts from the start.
		CheckpointInterval: -1,
		Settings:           map[string]string{"kafka.partition_check_interval": "200ms"},
	})
	if err != nil {
		t.Fatal(err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	_ = srv.Close()
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestKafkaKill9 kills the server with SIGKILL while it ingests a
// Debezium stream and sinks a table, restarts it, and checks that the
// tables and views equal the model and the sink topic holds every change
// exactly once.
func TestKafkaKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	h := newKafkaHarness(t, "orders", "customers")
	h.stop() // the child processes serve the data directory
	listen := freePort(t)
	var child *exec.Cmd
	startChild := func() {
		child = exec.Command(os.Args[0], "-test.run=^TestKafkaChildServer$", "-test.v")
		child.Env = append(os.Environ(), "STREAMDB_KAFKA_CHILD_DIR="+h.dir, "STREAMDB_KAFKA_CHILD_LISTEN="+listen)
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			c, err := pgconn.Connect(context.Background(), "postgres://streamdb@"+listen+"/streamdb?sslmode=disable")
			if err == nil {
				h.conn = c
				return
			}
			if time.Now().After(deadline) {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	kill := func() {
		_ = h.conn.Close(context.Background())
		h.conn = nil
		_ = child.Process.Signal(syscall.SIGKILL)
		_, _ = child.Process.Wait()
	}
	startChild()
	defer func() {
		if child != nil && child.ProcessState == nil {
			_ = child.Process.Signal(syscall.SIGKILL)
			_, _ = child.Process.Wait()
		}
	}()
	with := fmt.Sprintf(`WITH (connector = 'kafka', topic = '%%s', properties.bootstrap.server = '%s')`, h.broker)
	h.mustExec(`CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, amount numeric(10,2), ts timestamp) ` + fmt.Sprintf(with, "orders") + ` FORMAT DEBEZIUM ENCODE JSON`)
	h.mustExec(`CREATE TABLE customers (id int PRIMARY KEY, name text, region text) ` + fmt.Sprintf(with, "customers") + ` FORMAT DEBEZIUM ENCODE JSON`)
	h.mustExec(fmt.Sprintf(`CREATE SINK orders_out FROM orders WITH (connector = 'kafka', topic = 'orders_out', properties.bootstrap.server = '%s') FORMAT UPSERT ENCODE JSON`, h.broker))
	const groupBy = `SELECT customer_id, count(*), sum(amount) FROM orders GROUP BY customer_id`
	const join = `SELECT o.id, c.name, o.amount FROM orders o JOIN customers c ON o.customer_id = c.id`
	h.mustExec(`CREATE MATERIALIZED VIEW by_customer AS ` + groupBy)
	h.mustExec(`CREATE MATERIALIZED VIEW order_names AS ` + join)

	m := &cdcModel{rng: rand.New(rand.NewPCG(3, 4)), orders: map[int]order{}, customers: map[int]string{}, parts: 8}
	for round := range 3 {
		for range 400 {
			m.step(h)
		}
		time.Sleep(time.Duration(round*50) * time.Millisecond) // kill mid-ingest
		kill()
		startChild()
	}
	h.eventually("orders to match", func() (bool, string) {
		got := h.query(`SELECT id, customer_id, amount FROM orders ORDER BY id`)
		return got == m.expectedOrders(), got
	})
	h.eventually("customers to match", func() (bool, string) {
		got := h.query(`SELECT id, name FROM customers ORDER BY id`)
		return got == m.expectedCustomers(), got
	})
	h.mustExec(`FLUSH`)
	if got, want := h.query(`SELECT * FROM by_customer ORDER BY 1`), h.query(groupBy+` ORDER BY 1`); got != want {
		t.Errorf("GROUP BY view after kill -9:\n%s\nbatch:\n%s", got, want)
	}
	if got, want := h.query(`SELECT * FROM order_names ORDER BY 1`), h.query(join+` ORDER BY 1`); got != want {
		t.Errorf("join view after kill -9:\n%s\nbatch:\n%s", got, want)
	}
	wantRows := h.query(`SELECT id, customer_id, amount FROM orders ORDER BY id`)
	h.eventually("sink to match the table", func() (bool, string) {
		got := collapse(readSink(t, h.broker, "orders_out"))
		return got == wantRows, got
	})
	// Stop the child cleanly and count the change log in-process: the
	// sink topic must hold each change exactly once.
	_ = h.conn.Close(context.Background())
	h.conn = nil
	_ = child.Process.Signal(syscall.SIGTERM)
	_, _ = child.Process.Wait()
	h.start()
	want := expectedSinkRecords(t, h.srv, mustOID(t, h.srv, "orders"))
	if got := len(readSink(t, h.broker, "orders_out")); got != want {
		t.Errorf("sink has %d records after kill -9 restarts, the change log %d (duplicates or losses)", got, want)
	}
}
