package state

import (
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/streamdb/streamdb/sql/types"
)

func TestOptionsDefaults(t *testing.T) {
	o := DefaultOptions()
	if o.BlockCacheSize != 256<<20 || o.MemtableSize != 64<<20 || o.MemtableCount != 2 ||
		o.CompactionConcurrency != 2 || o.BloomBitsPerKey != 10 || o.Compression != "snappy" || o.NoSync {
		t.Fatalf("ssd defaults %+v", o)
	}
	h := Options{Profile: "hdd", BlockCacheSize: 1 << 30}
	h.EnsureDefaults()
	if h.BlockCacheSize != 1<<30 || h.MemtableSize != 128<<20 || h.CompactionConcurrency != 1 || h.Compression != "zstd" || h.BlockSize != 32<<10 {
		t.Fatalf("hdd defaults %+v", h)
	}
	for _, bad := range []Options{{Profile: "nvme"}, {Compression: "lz4"}, {MemtableCount: 1}} {
		if _, err := Open(t.TempDir(), bad); types.Code(err) != types.CodeConfigFileError {
			t.Errorf("Open(%+v) = %v, want F0000", bad, err)
		}
	}
}

func TestStoreMetrics(t *testing.T) {
	for _, compression := range []string{"snappy", "zstd", "none"} {
		s, err := Open(t.TempDir(), Options{Compression: compression, BlockCacheSize: 1 << 20, MemtableSize: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Write(func(b *pebble.Batch) error {
			for i := 0; i < 1000; i++ {
				if err := b.Set(RowIDKey(int64(i)), []byte("value value value"), nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DB().Flush(); err != nil {
			t.Fatal(err)
		}
		n := 0
		if err := s.ScanPrefix(nil, func(k, v []byte) error { n++; return nil }); err != nil || n != 1000 {
			t.Fatalf("scan %d %v", n, err)
		}
		if v, ok, err := s.Get(RowIDKey(5)); err != nil || !ok || string(v) != "value value value" {
			t.Fatalf("get %q %v %v", v, ok, err)
		}
		m := s.Metrics()
		if m.DiskUsageBytes == 0 || m.BlockCacheHits+m.BlockCacheMisses == 0 {
			t.Fatalf("metrics %+v", m)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
