package checkpoint

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/streamdb/streamdb/state"
)

// testSource is a Source over real Pebble stores named "state" and
// "tables".
type testSource struct {
	t      testing.TB
	dir    string
	stores map[string]*state.Store
	epoch  uint64
	// memtable is the Pebble memtable size.
	memtable int64
}

var storeNames = []string{"state", "tables"}

func newTestSource(t testing.TB) *testSource {
	return newTestSourceMemtable(t, 4<<20)
}

// newTestSourceMemtable opens the stores with the given memtable size.
func newTestSourceMemtable(t testing.TB, memtable int64) *testSource {
	t.Helper()
	src := &testSource{t: t, dir: t.TempDir(), stores: map[string]*state.Store{}, memtable: memtable}
	src.open()
	t.Cleanup(src.close)
	return src
}

func (s *testSource) open() {
	s.t.Helper()
	for _, n := range storeNames {
		opts := state.DefaultOptions()
		opts.NoSync = true
		opts.MemtableSize = s.memtable
		opts.L0CompactionThreshold = *benchL0
		opts.LBaseMaxBytes = *benchLBase << 20
		opts.LevelMultiplier = *benchMult
		st, err := state.Open(filepath.Join(s.dir, n), opts)
		if err != nil {
			s.t.Fatal(err)
		}
		s.stores[n] = st
	}
}

func (s *testSource) close() {
	for n, st := range s.stores {
		_ = st.Close()
		delete(s.stores, n)
	}
}

func (s *testSource) Stores(fn func(string, *pebble.DB) error) error {
	for _, n := range storeNames {
		if err := fn(n, s.stores[n].DB()); err != nil {
			return err
		}
	}
	return nil
}

func (s *testSource) Capture(ctx context.Context, take func(string, *pebble.DB) error) (Capture, error) {
	for _, n := range storeNames {
		if err := take(n, s.stores[n].DB()); err != nil {
			return Capture{}, err
		}
	}
	return Capture{Epoch: s.epoch, CatalogVersion: 7, Position: fmt.Sprint(s.epoch), Metadata: map[string]string{"offsets": "t1=5"}}, nil
}

// write sets keys [from, from+n) of a store to values derived from gen,
// in key order spread over the key space, then flushes.
func (s *testSource) write(store string, keys []int, gen int) {
	s.t.Helper()
	s.epoch++
	err := s.stores[store].Write(func(b *pebble.Batch) error {
		val := make([]byte, 100)
		for _, k := range keys {
			binary.BigEndian.PutUint64(val, uint64(k*31+gen))
			for i := 8; i < len(val); i++ {
				val[i] = byte(k + i + gen)
			}
			if err := b.Set(testKey(k), val, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
}

func testKey(k int) []byte { return []byte(fmt.Sprintf("key%010d", k)) }

func seq(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}

// randomKeys picks n distinct keys of [0, space).
func randomKeys(r *rand.Rand, space, n int) []int {
	seen := map[int]bool{}
	var out []int
	for len(out) < n {
		k := r.IntN(space)
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// get reads a key from a Pebble directory opened read-only.
func readKeys(t testing.TB, dir string) map[string]string {
	t.Helper()
	db, err := pebble.Open(dir, &pebble.Options{ReadOnly: true, Logger: silentPebble{}})
	if err != nil {
		t.Fatalf("opening restored store %s: %v", dir, err)
	}
	defer db.Close()
	it, err := db.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for it.First(); it.Valid(); it.Next() {
		out[string(it.Key())] = string(it.Value())
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

func dump(t testing.TB, st *state.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := st.ScanPrefix(nil, func(k, v []byte) error {
		out[string(k)] = string(v)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newCheckpointer(t testing.TB, src *testSource, url string, adjust ...func(*Options)) *Checkpointer {
	t.Helper()
	opts := Options{Dir: url, DataDir: src.dir, Interval: -1, MinPause: -1, Logger: quietLogger()}
	for _, f := range adjust {
		f(&opts)
	}
	c, err := New(context.Background(), opts, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// fakeS3 starts gofakes3 with a bucket and returns the s3:// URL of it.
func fakeS3(t testing.TB, bucket string) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	faker := gofakes3.New(backend)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: faker.Server()}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	t.Setenv("AWS_ACCESS_KEY_ID", "fake")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake")
	t.Setenv("AWS_REGION", "us-east-1")
	return fmt.Sprintf("s3://%s?region=us-east-1&endpoint=http://%s&use_path_style=true&disable_https=true", bucket, ln.Addr())
}

// fileStoreDir is the directory of a file:// URL made by FileURL.
func fileStoreDir(url string) string { return strings.TrimPrefix(url, "file://") }

func mustCheckpoint(t testing.TB, c *Checkpointer) Attempt {
	t.Helper()
	a, err := c.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != StatusCompleted {
		t.Fatalf("checkpoint status %q: %s", a.Status, a.Error)
	}
	return a
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

type silentPebble struct{}

func (silentPebble) Infof(string, ...any)  {}
func (silentPebble) Errorf(string, ...any) {}
func (silentPebble) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}
