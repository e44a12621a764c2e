package checkpoint

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestInterruptedCheckpointsAndDamage interrupts checkpoints at random
// moments (a context cancelled mid-upload, like a kill), then damages the
// store, and checks the invariants: every object a retained manifest
// references exists with its size; restore returns exactly the contents
// captured by the checkpoint it picks, falls back past damage, and never
// yields a checkpoint that was not committed.
func TestInterruptedCheckpointsAndDamage(t *testing.T) {
	src := newTestSource(t)
	url := FileURL(filepath.Join(t.TempDir(), "store"))
	root := fileStoreDir(url)
	c := newCheckpointer(t, src, url, func(o *Options) { o.Retain = 3; o.FullEvery = 5 })
	r := rand.New(rand.NewPCG(7, 8))
	snapshots := map[uint64]map[string]string{}
	src.write("state", seq(0, 20_000), 0)
	interrupted := 0
	for i := 0; i < 30; i++ {
		src.write("state", randomKeys(r, 20_000, 500), i+1)
		src.write("tables", seq(i*50, 50), i)
		if i%7 == 3 {
			if err := src.stores["state"].DB().Compact(context.Background(), []byte("a"), []byte("z"), true); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		if r.IntN(2) == 0 {
			delay := time.Duration(r.IntN(20_000)) * time.Microsecond
			go func() {
				time.Sleep(delay)
				cancel()
			}()
		}
		a, err := c.Checkpoint(ctx)
		cancel()
		if err == nil {
			snapshots[a.ID] = dump(t, src.stores["state"])
		} else {
			interrupted++
		}
		checkReferencedObjects(t, url)
	}
	t.Logf("%d of 30 checkpoints interrupted, %d committed", interrupted, len(snapshots))
	ms := manifests(t, url)
	if len(ms) == 0 {
		t.Fatal("no checkpoint committed")
	}
	restoreAndCompare := func() *RestoreResult {
		dst := t.TempDir()
		res, err := Restore(context.Background(), RestoreOptions{URL: url, DataDir: dst, Stores: storeNames, Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		want, ok := snapshots[res.Manifest.ID]
		if !ok {
			t.Fatalf("restored checkpoint %d, which never completed", res.Manifest.ID)
		}
		if got := readKeys(t, filepath.Join(dst, "state")); !equalMaps(got, want) {
			t.Fatalf("checkpoint %d restored %d keys, captured %d (or values differ)", res.Manifest.ID, len(got), len(want))
		}
		return res
	}
	if res := restoreAndCompare(); res.Manifest.ID != ms[0].ID {
		t.Fatalf("restored %d, newest is %d", res.Manifest.ID, ms[0].ID)
	}
	// Flip a bit in an object the newest checkpoint references and the
	// next older does not (or any of its objects): restore falls back.
	newest := ms[0]
	olderKeys := map[string]bool{}
	if len(ms) > 1 {
		for _, s := range ms[1].Stores {
			for _, f := range s.Files {
				olderKeys[f.Key] = true
			}
		}
	}
	var victim string
	for _, s := range newest.Stores {
		for _, f := range s.Files {
			if !olderKeys[f.Key] && f.Size > 0 {
				victim = f.Key
			}
		}
	}
	if victim == "" {
		t.Fatal("no object unique to the newest checkpoint")
	}
	p := filepath.Join(root, victim)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[r.IntN(len(data))] ^= 1 << r.IntN(8)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	res := restoreAndCompare()
	if res.Manifest.ID == newest.ID || len(res.Skipped) == 0 || !strings.Contains(res.Skipped[0].Error(), victim) {
		t.Fatalf("restored %d after damaging %s of %d; skipped %v", res.Manifest.ID, victim, newest.ID, res.Skipped)
	}
	// Delete every shared object: only a full checkpoint can restore.
	if err := os.RemoveAll(filepath.Join(root, "shared")); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	res2, err := Restore(context.Background(), RestoreOptions{URL: url, DataDir: dst, Stores: storeNames, Logger: quietLogger()})
	if err != nil {
		if !strings.Contains(err.Error(), "shared/") {
			t.Fatalf("error should name a missing shared object: %v", err)
		}
		if entries, _ := os.ReadDir(dst); len(entries) != 0 {
			t.Fatalf("a failed restore left %v", entries)
		}
		return
	}
	if res2.Manifest.Kind != KindFull {
		t.Fatalf("restored a %s checkpoint without shared objects", res2.Manifest.Kind)
	}
	if got := readKeys(t, filepath.Join(dst, "state")); !equalMaps(got, snapshots[res2.Manifest.ID]) {
		t.Fatal("full checkpoint restored different contents")
	}
}

// checkReferencedObjects fails the test if a retained manifest references
// an object that is missing or has another size.
func checkReferencedObjects(t *testing.T, url string) {
	t.Helper()
	for _, m := range manifests(t, url) {
		for _, s := range m.Stores {
			for _, f := range s.Files {
				for _, key := range []string{f.Key, f.Shared} {
					if key == "" {
						continue
					}
					info, err := os.Stat(filepath.Join(fileStoreDir(url), key))
					if err != nil || info.Size() != f.Size {
						t.Fatalf("manifest %d references %s: %v", m.ID, key, err)
					}
				}
			}
		}
	}
}
