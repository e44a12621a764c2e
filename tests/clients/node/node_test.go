package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamdb/streamdb/server"
	"github.com/streamdb/streamdb/tests/testutil"
)

// installStamp records which package-lock.json node_modules was installed
// from; npm ci runs again only when the lock file changes.
const installStamp = "node_modules/.streamdb-installed-lock-sha256"

var installOnce sync.Once

// requireNodeModules returns the node binary after making sure the pinned
// packages are installed (npm ci, once per lock file).
func requireNodeModules(t *testing.T) string {
	t.Helper()
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node and npm are required under CI (make test-deps installs them)")
		}
		t.Skip("node or npm not installed (make test-deps installs them)")
	}
	// node-pg-migrate 9 needs node 20.11 (it calls Array.toReversed).
	out, err := exec.Command(node, "-e", "const [a, b] = process.versions.node.split('.').map(Number); process.exit(a > 20 || (a === 20 && b >= 11) ? 0 : 1)").CombinedOutput()
	if err != nil {
		version, _ := exec.Command(node, "--version").Output()
		if os.Getenv("CI") == "true" {
			t.Fatalf("node >= 20.11 is required, %s has %s%s", node, strings.TrimSpace(string(version)), out)
		}
		t.Skipf("node >= 20.11 is required, %s has %s", node, strings.TrimSpace(string(version)))
	}
	var installErr error
	installOnce.Do(func() {
		lock, err := os.ReadFile("package-lock.json")
		if err != nil {
			installErr = err
			return
		}
		sum := sha256.Sum256(lock)
		want := hex.EncodeToString(sum[:])
		if got, err := os.ReadFile(installStamp); err == nil && strings.TrimSpace(string(got)) == want {
			return
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
		if out, err := cmd.CombinedOutput(); err != nil {
			installErr = fmt.Errorf("npm ci: %v\n%s", err, out)
			return
		}
		installErr = os.WriteFile(installStamp, []byte(want+"\n"), 0o644)
	})
	if installErr != nil {
		t.Fatal(installErr)
	}
	return node
}

// runScript runs a node script with env added and fails the test with its
// output if it exits non-zero; the output is logged either way.
func runScript(t *testing.T, node string, env []string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("node %s:\n%s", strings.Join(args, " "), out.String())
	if err != nil {
		t.Fatalf("node %s: %v", strings.Join(args, " "), err)
	}
}

func streamdbURL(srv *server.Server) string {
	return "postgres://streamdb@" + srv.PGAddr() + "/streamdb?sslmode=disable"
}

// TestNode runs pg.mjs and migrate.mjs against streamdb, then against one
// PostgreSQL cluster (a database per script).
func TestNode(t *testing.T) {
	node := requireNodeModules(t)
	t.Run("streamdb", func(t *testing.T) {
		t.Run("pg", func(t *testing.T) {
			srv := testutil.StartServer(t)
			runScript(t, node, []string{"DATABASE_URL=" + streamdbURL(srv), "STREAMDB=1"}, "pg.mjs")
		})
		t.Run("node-pg-migrate", func(t *testing.T) {
			cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "spend_out"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(cluster.Close)
			broker := cluster.ListenAddrs()[0]
			srv := testutil.StartServer(t)
			env := []string{"DATABASE_URL=" + streamdbURL(srv), "STREAMDB=1", "KAFKA_BROKER=" + broker}
			runScript(t, node, env, "migrate.mjs", "up")
			// The script inserted a fourth order after up; the sink from
			// the view, collapsed by key, equals the view.
			want := map[string]string{"ann": "2|37.25", "bob": "1|12.50", "cy": "1|5.00"}
			waitForTopic(t, broker, "spend_out", want)
			runScript(t, node, env, "migrate.mjs", "down")
			conn := connect(t, streamdbURL(srv))
			var flows int
			if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM streamdb.dataflows").Scan(&flows); err != nil {
				t.Fatal(err)
			}
			if flows != 0 {
				t.Errorf("%d dataflows (view, sink) left after down", flows)
			}
		})
	})
	t.Run("postgres", func(t *testing.T) {
		pg := testutil.StartPostgres(t)
		admin := connect(t, pg.ConnString())
		database := func(t *testing.T, name string) string {
			if _, err := admin.Exec(context.Background(), "CREATE DATABASE "+name); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable", pg.Addr, name)
		}
		t.Run("pg", func(t *testing.T) {
			runScript(t, node, []string{"DATABASE_URL=" + database(t, "pg_suite"), "STREAMDB=0"}, "pg.mjs")
		})
		t.Run("node-pg-migrate", func(t *testing.T) {
			env := []string{"DATABASE_URL=" + database(t, "migrate_suite"), "STREAMDB=0", "KAFKA_BROKER="}
			runScript(t, node, env, "migrate.mjs", "up")
			runScript(t, node, env, "migrate.mjs", "down")
		})
	})
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// waitForTopic reads an upsert JSON topic with read_committed until its
// records, collapsed by key (the last value wins, a tombstone deletes),
// equal want (customer -> "orders|total"), and fails the test if they
// never do within a minute.
func waitForTopic(t *testing.T, broker, topic string, want map[string]string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	byKey := map[string]string{}
	got := map[string]string{}
	for !maps.Equal(got, want) {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("topic %s collapsed by key = %v, want %v", topic, got, want)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			if r.Value == nil {
				delete(byKey, string(r.Key))
				return
			}
			var v struct {
				Customer string          `json:"customer"`
				Orders   json.Number     `json:"orders"`
				Total    json.RawMessage `json:"total"`
			}
			if err := json.Unmarshal(r.Value, &v); err != nil {
				t.Errorf("record %s: %v", r.Value, err)
				return
			}
			byKey[string(r.Key)] = v.Customer + "=" + string(v.Orders) + "|" + strings.Trim(string(v.Total), `"`)
		})
		got = map[string]string{}
		for _, kv := range byKey {
			customer, value, _ := strings.Cut(kv, "=")
			got[customer] = value
		}
	}
}
