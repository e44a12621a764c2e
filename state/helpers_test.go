package state

import "testing"

// openTestTableStore opens a small TableStore in dir.
func openTestTableStore(t testing.TB, dir string) *TableStore {
	t.Helper()
	ts, err := OpenTableStore(dir, Options{BlockCacheSize: 8 << 20, MemtableSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}
