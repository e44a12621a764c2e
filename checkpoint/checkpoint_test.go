package checkpoint

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/streamdb/streamdb/sql/types"
)

const stateKeys = 100_000

// testIncremental: a second checkpoint after 1% of the keys changed
// uploads only the new SSTs, and both restore to the exact contents.
func testIncremental(t *testing.T, url string) {
	src := newTestSource(t)
	src.write("state", seq(0, stateKeys), 0)
	src.write("tables", seq(0, 1000), 0)
	c := newCheckpointer(t, src, url)
	a1 := mustCheckpoint(t, c)
	if a1.Kind != KindFull || a1.BytesReused != 0 || a1.BytesUploaded == 0 {
		t.Fatalf("first checkpoint: %+v", a1)
	}
	first := dump(t, src.stores["state"])

	r := rand.New(rand.NewPCG(1, 2))
	src.write("state", randomKeys(r, stateKeys, stateKeys/100), 1)
	a2 := mustCheckpoint(t, c)
	if a2.Kind != KindIncremental {
		t.Fatalf("second checkpoint kind %q", a2.Kind)
	}
	total := a2.BytesUploaded + a2.BytesReused
	t.Logf("checkpoint 1: %d bytes uploaded; checkpoint 2: %d uploaded, %d reused (%.2f%% of %d), %v", a1.BytesUploaded,
		a2.BytesUploaded, a2.BytesReused, 100*float64(a2.BytesUploaded)/float64(total), total, a2.Duration)
	if a2.BytesUploaded*10 >= total {
		t.Fatalf("incremental checkpoint uploaded %d of %d bytes (want < 10%%)", a2.BytesUploaded, total)
	}
	second := dump(t, src.stores["state"])

	// Restore the newest into a fresh directory from the store.
	dst := t.TempDir()
	res, err := Restore(context.Background(), RestoreOptions{URL: url, DataDir: dst, Stores: storeNames, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.ID != a2.ID || res.FromLocal || res.BytesDownloaded == 0 {
		t.Fatalf("restore result %+v", res)
	}
	if got := readKeys(t, filepath.Join(dst, "state")); !equalMaps(got, second) {
		t.Fatalf("restored state differs: %d keys, want %d", len(got), len(second))
	}
	if equalMaps(first, second) {
		t.Fatal("test did not change anything")
	}
	if got := readKeys(t, filepath.Join(dst, "tables")); len(got) != 1000 {
		t.Fatalf("restored tables has %d keys", len(got))
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestIncrementalFile(t *testing.T) {
	testIncremental(t, FileURL(filepath.Join(t.TempDir(), "store")))
}

func TestIncrementalS3(t *testing.T) {
	testIncremental(t, fakeS3(t, "checkpoints"))
}

func TestSavepointS3Prefix(t *testing.T) {
	src := newTestSource(t)
	src.write("state", seq(0, 500), 0)
	src.write("tables", seq(0, 50), 0)
	c := newCheckpointer(t, src, FileURL(filepath.Join(t.TempDir(), "store")))
	url := fakeS3(t, "savepoints")
	// A path after the bucket becomes a key prefix.
	url = strings.Replace(url, "savepoints?", "savepoints/upgrade-1?", 1)
	m, err := c.Savepoint(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != KindSavepoint {
		t.Fatalf("kind %q", m.Kind)
	}
	for _, s := range m.Stores {
		for _, f := range s.Files {
			if !strings.HasPrefix(f.Key, chkDir(m.ID)) {
				t.Fatalf("savepoint file %s is not self-contained", f.Key)
			}
		}
	}
	dst := t.TempDir()
	res, err := Restore(context.Background(), RestoreOptions{URL: url, DataDir: dst, Stores: storeNames, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if res == nil || res.Manifest.ID != m.ID {
		t.Fatalf("restore: %+v", res)
	}
	if got := readKeys(t, filepath.Join(dst, "state")); len(got) != 500 {
		t.Fatalf("restored %d keys", len(got))
	}
	hist := c.History()
	if len(hist) != 1 || hist[0].Kind != KindSavepoint || hist[0].Status != StatusCompleted {
		t.Fatalf("history %+v", hist)
	}
}

// manifests reads every committed manifest of a file store.
func manifests(t *testing.T, url string) []*Manifest {
	t.Helper()
	ctx := context.Background()
	b, err := OpenBucket(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ids, err := listCheckpointIDs(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	var out []*Manifest
	for _, id := range ids {
		m, found, err := readManifest(ctx, b, id)
		if err != nil {
			t.Fatal(err)
		}
		if found {
			out = append(out, m)
		}
	}
	return out
}

func TestRetentionNeverDeletesReferencedFiles(t *testing.T) {
	src := newTestSource(t)
	url := FileURL(filepath.Join(t.TempDir(), "store"))
	c := newCheckpointer(t, src, url, func(o *Options) { o.Retain = 2; o.FullEvery = 4 })
	r := rand.New(rand.NewPCG(3, 4))
	src.write("state", seq(0, 20_000), 0)
	for i := 0; i < 9; i++ {
		src.write("state", randomKeys(r, 20_000, 2000), i+1)
		src.write("tables", seq(i*100, 100), i)
		if i%3 == 2 {
			// Compaction rewrites files: the old ones become garbage
			// once no retained manifest references them.
			if err := src.stores["state"].DB().Compact(context.Background(), []byte("a"), []byte("z"), true); err != nil {
				t.Fatal(err)
			}
		}
		mustCheckpoint(t, c)
		ms := manifests(t, url)
		referenced := map[string]bool{}
		full := 0
		for _, m := range ms {
			if m.Kind == KindFull {
				full++
			}
			for _, s := range m.Stores {
				for _, f := range s.Files {
					referenced[f.Key] = true
					if f.Shared != "" {
						referenced[f.Shared] = true
					}
					info, err := os.Stat(filepath.Join(fileStoreDir(url), f.Key))
					if err != nil || info.Size() != f.Size {
						t.Fatalf("after checkpoint %d: manifest %d references %s: %v", i+1, m.ID, f.Key, err)
					}
				}
			}
		}
		if len(ms) > 3 || (len(ms) == 3 && full == 0) {
			t.Fatalf("after checkpoint %d: %d manifests kept (%d full)", i+1, len(ms), full)
		}
		shared, _ := filepath.Glob(filepath.Join(fileStoreDir(url), "shared", "*", "*"))
		for _, p := range shared {
			rel, _ := filepath.Rel(fileStoreDir(url), p)
			if !referenced[filepath.ToSlash(rel)] {
				t.Fatalf("after checkpoint %d: unreferenced shared file %s kept", i+1, rel)
			}
		}
	}
	// Only the newest local copy remains.
	locals, _ := filepath.Glob(filepath.Join(LocalDir(src.dir), "chk-*"))
	if len(locals) != 1 {
		t.Fatalf("local copies: %v", locals)
	}
}

func TestRestoreNamesMissingOrCorruptFileAndFallsBack(t *testing.T) {
	src := newTestSource(t)
	url := FileURL(filepath.Join(t.TempDir(), "store"))
	c := newCheckpointer(t, src, url)
	src.write("state", seq(0, 1000), 0)
	src.write("tables", seq(0, 10), 0)
	mustCheckpoint(t, c)
	src.write("state", seq(1000, 1000), 0)
	a2 := mustCheckpoint(t, c)
	ms := manifests(t, url)
	newest := ms[0]
	if newest.ID != a2.ID {
		t.Fatalf("newest manifest %d, want %d", newest.ID, a2.ID)
	}
	// Flip a byte in a file only the newest checkpoint has.
	var victim File
	for _, f := range newest.Store("state").Files {
		if strings.HasPrefix(f.Key, chkDir(newest.ID)) && f.Size > 0 {
			victim = f
		}
	}
	p := filepath.Join(fileStoreDir(url), victim.Key)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x40
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	res, err := Restore(context.Background(), RestoreOptions{URL: url, DataDir: dst, Stores: storeNames, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.ID != a2.ID-1 || len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Error(), victim.Key) {
		t.Fatalf("restore fell back to %d, skipped %v (want %d, naming %s)", res.Manifest.ID, res.Skipped, a2.ID-1, victim.Key)
	}
	if got := readKeys(t, filepath.Join(dst, "state")); len(got) != 1000 {
		t.Fatalf("fallback restored %d keys", len(got))
	}

	// With every checkpoint damaged, restore fails naming the files and
	// leaves the existing stores alone.
	older := ms[1]
	missing := older.Store("state").Files[0]
	if err := os.Remove(filepath.Join(fileStoreDir(url), missing.Key)); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(dst, "state", "KEEP")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Restore(context.Background(), RestoreOptions{URL: url, DataDir: dst, Stores: storeNames, Logger: quietLogger()})
	if err == nil || !strings.Contains(err.Error(), missing.Key) || !strings.Contains(err.Error(), victim.Key) {
		t.Fatalf("restore error %v should name %s and %s", err, missing.Key, victim.Key)
	}
	if !fileExists(marker) {
		t.Fatal("a failed restore touched the existing store")
	}
	if fileExists(filepath.Join(dst, "state.restoring")) {
		t.Fatal("a failed restore left its staging directory")
	}
}

func TestUnknownManifestVersionRefused(t *testing.T) {
	src := newTestSource(t)
	url := FileURL(filepath.Join(t.TempDir(), "store"))
	c := newCheckpointer(t, src, url)
	src.write("state", seq(0, 10), 0)
	a := mustCheckpoint(t, c)
	p := filepath.Join(fileStoreDir(url), manifestKey(a.ID))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	raw["format_version"] = 99
	data, _ = json.Marshal(raw)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Restore(context.Background(), RestoreOptions{URL: url, DataDir: t.TempDir(), Stores: storeNames, Logger: quietLogger()})
	if err == nil || types.Code(err) != types.CodeFeatureNotSupported || !strings.Contains(err.Error(), "format version 99 is not supported") {
		t.Fatalf("got %v (%s)", err, types.Code(err))
	}
}

func TestFullCheckpointIsSelfContained(t *testing.T) {
	src := newTestSource(t)
	url := FileURL(filepath.Join(t.TempDir(), "store"))
	c := newCheckpointer(t, src, url, func(o *Options) { o.FullEvery = 2; o.Retain = 5 })
	var kinds []string
	for i := 0; i < 3; i++ {
		src.write("state", seq(i*1000, 1000), i)
		src.write("tables", seq(i*10, 10), i)
		kinds = append(kinds, mustCheckpoint(t, c).Kind)
	}
	if strings.Join(kinds, ",") != "full,incremental,full" {
		t.Fatalf("kinds %v", kinds)
	}
	// Lose every shared object: the full checkpoint still restores.
	if err := os.RemoveAll(filepath.Join(fileStoreDir(url), "shared")); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	res, err := Restore(context.Background(), RestoreOptions{URL: url, DataDir: dst, Stores: storeNames, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.ID != 3 || res.Manifest.Kind != KindFull {
		t.Fatalf("restored %d (%s)", res.Manifest.ID, res.Manifest.Kind)
	}
	if got := readKeys(t, filepath.Join(dst, "state")); len(got) != 3000 {
		t.Fatalf("restored %d keys", len(got))
	}
	// The incremental one in between is not intact any more.
	if err := os.RemoveAll(filepath.Join(fileStoreDir(url), manifestKey(3))); err != nil {
		t.Fatal(err)
	}
	res, err = Restore(context.Background(), RestoreOptions{URL: url, DataDir: t.TempDir(), Stores: storeNames, Logger: quietLogger()})
	if err != nil || res.Manifest.ID != 1 || len(res.Skipped) != 1 {
		t.Fatalf("after losing shared files: %+v, %v", res, err)
	}
}

func TestLocalRestoreUsesHardLinks(t *testing.T) {
	src := newTestSource(t)
	url := FileURL(filepath.Join(t.TempDir(), "store"))
	c := newCheckpointer(t, src, url)
	src.write("state", seq(0, 5000), 0)
	src.write("tables", seq(0, 100), 0)
	a := mustCheckpoint(t, c)
	want := dump(t, src.stores["state"])
	// Writes after the checkpoint are rolled back by the restore.
	src.write("state", seq(5000, 100), 0)
	src.close()
	// Prove nothing is downloaded: the shared objects are gone.
	if err := os.RemoveAll(filepath.Join(fileStoreDir(url), "shared")); err != nil {
		t.Fatal(err)
	}
	res, err := Restore(context.Background(), RestoreOptions{
		URL: url, DataDir: src.dir, Stores: []string{"state"}, LocalDir: LocalDir(src.dir), Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.FromLocal || res.BytesDownloaded != 0 || res.Manifest.ID != a.ID {
		t.Fatalf("restore %+v", res)
	}
	ssts, _ := filepath.Glob(filepath.Join(src.dir, "state", "*.sst"))
	if len(ssts) == 0 {
		t.Fatal("no SSTs restored")
	}
	for _, p := range ssts {
		local := filepath.Join(LocalDir(src.dir), "chk-1", "state", filepath.Base(p))
		if inode(t, p) != inode(t, local) {
			t.Fatalf("%s is not a hard link of the local copy", p)
		}
	}
	src.open()
	if got := dump(t, src.stores["state"]); !equalMaps(got, want) {
		t.Fatalf("restored %d keys, want %d", len(got), len(want))
	}
	// Writing to the restored store leaves the local copy intact.
	src.write("state", seq(0, 5000), 9)
	if err := src.stores["state"].DB().Compact(context.Background(), []byte("a"), []byte("z"), true); err != nil {
		t.Fatal(err)
	}
	got := readKeys(t, filepath.Join(LocalDir(src.dir), "chk-1", "state"))
	if !equalMaps(got, want) {
		t.Fatal("the local checkpoint copy changed")
	}
}

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return info.Sys().(*syscall.Stat_t).Ino
}

func TestTimeoutAbortsWithoutManifest(t *testing.T) {
	src := newTestSource(t)
	url := FileURL(filepath.Join(t.TempDir(), "store"))
	c := newCheckpointer(t, src, url, func(o *Options) { o.Timeout = time.Nanosecond })
	src.write("state", seq(0, 1000), 0)
	a, err := c.Checkpoint(context.Background())
	if err == nil || a.Status != StatusAborted {
		t.Fatalf("got %+v, %v", a, err)
	}
	if len(manifests(t, url)) != 0 {
		t.Fatal("an aborted checkpoint wrote a manifest")
	}
	c.opts.Timeout = time.Minute
	a = mustCheckpoint(t, c)
	if a.ID != 2 {
		t.Fatalf("id %d", a.ID)
	}
	// The aborted attempt's objects are garbage-collected.
	if fileExists(filepath.Join(fileStoreDir(url), "chk-1")) {
		t.Fatal("aborted checkpoint's files kept")
	}
	h := c.History()
	if len(h) != 2 || h[0].Status != StatusAborted || h[1].Status != StatusCompleted {
		t.Fatalf("history %+v", h)
	}
}

func TestIndexRebuiltFromStore(t *testing.T) {
	src := newTestSource(t)
	url := FileURL(filepath.Join(t.TempDir(), "store"))
	c := newCheckpointer(t, src, url)
	src.write("state", seq(0, 5000), 0)
	mustCheckpoint(t, c)
	_ = c.Close()
	// A new checkpointer (a restart) reuses what the store holds.
	c2 := newCheckpointer(t, src, url)
	src.write("state", seq(5000, 10), 0)
	a := mustCheckpoint(t, c2)
	if a.ID != 2 || a.BytesReused == 0 || a.BytesUploaded > a.BytesReused {
		t.Fatalf("after restart: %+v", a)
	}
}

func TestPeriodicSkipsWhenUnchanged(t *testing.T) {
	src := newTestSource(t)
	url := FileURL(filepath.Join(t.TempDir(), "store"))
	c := newCheckpointer(t, src, url, func(o *Options) { o.Interval = 20 * time.Millisecond; o.MinPause = time.Millisecond })
	src.write("state", seq(0, 100), 0)
	c.Start()
	deadline := time.Now().Add(10 * time.Second)
	for len(c.History()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if h := c.History(); len(h) != 1 || h[0].Status != StatusCompleted {
		t.Fatalf("history %+v", h)
	}
}

func TestUploadFailureLeavesNoManifest(t *testing.T) {
	src := newTestSource(t)
	url := FileURL(filepath.Join(t.TempDir(), "store"))
	c := newCheckpointer(t, src, url)
	src.write("state", seq(0, 1000), 0)
	src.write("tables", seq(0, 10), 0)
	// A file where the shared directory of the tables store should be:
	// every upload of a tables SST fails, after the state store's
	// uploads succeeded.
	blocker := filepath.Join(fileStoreDir(url), "shared", "tables")
	if err := os.MkdirAll(filepath.Dir(blocker), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blocker, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := c.Checkpoint(context.Background())
	if err == nil || a.Status != StatusFailed || !strings.Contains(err.Error(), "shared/tables/") {
		t.Fatalf("got %+v, %v", a, err)
	}
	if len(manifests(t, url)) != 0 {
		t.Fatal("a failed checkpoint wrote a manifest")
	}
	if fileExists(filepath.Join(LocalDir(src.dir), "chk-1")) {
		t.Fatal("a failed checkpoint kept its local copy")
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	a = mustCheckpoint(t, c)
	res, err := Restore(context.Background(), RestoreOptions{URL: url, DataDir: t.TempDir(), Stores: storeNames, Logger: quietLogger()})
	if err != nil || res.Manifest.ID != a.ID {
		t.Fatalf("restore after a failed checkpoint: %+v, %v", res, err)
	}
}
