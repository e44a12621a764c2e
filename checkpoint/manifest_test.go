package checkpoint

import (
	"strings"
	"testing"
	"time"

	"github.com/streamdb/streamdb/sql/types"
)

func sampleManifest() *Manifest {
	return &Manifest{
		FormatVersion: FormatVersion, ID: 4, Epoch: 17, Created: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC),
		Kind: KindIncremental, CatalogVersion: 3,
		Stores: []StoreFiles{{Name: "state", Files: []File{
			{Name: "000005.sst", Key: "shared/state/000005.sst", Size: 10, SHA256: strings.Repeat("ab", 32)},
			{Name: "MANIFEST-000001", Key: "chk-4/state/MANIFEST-000001", Size: 3, SHA256: strings.Repeat("0", 64)},
		}}},
		Metadata: map[string]string{"table_commit_seq": "9"},
	}
}

func TestManifestRoundTrip(t *testing.T) {
	data, err := EncodeManifest(sampleManifest())
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != 4 || m.Store("state") == nil || len(m.Store("state").Files) != 2 || m.TotalBytes() != 13 {
		t.Fatalf("decoded %+v", m)
	}
}

func TestManifestRejects(t *testing.T) {
	for _, tc := range []struct {
		name, json, want, code string
	}{
		{"version", `{"format_version": 2, "whatever": true}`, "format version 2 is not supported", types.CodeFeatureNotSupported},
		{"no version", `{"id": 1}`, "no format_version", types.CodeDataCorrupted},
		{"not json", `{`, "not valid JSON", types.CodeDataCorrupted},
		{"escape", `{"format_version":1,"id":1,"kind":"full","stores":[{"name":"state","files":[{"name":"x","key":"shared/../../etc/passwd","size":1,"sha256":"` + strings.Repeat("a", 64) + `"}]}]}`, "bad object key", types.CodeDataCorrupted},
		{"file name", `{"format_version":1,"id":1,"kind":"full","stores":[{"name":"state","files":[{"name":"../x","key":"chk-1/state/x","size":1,"sha256":"` + strings.Repeat("a", 64) + `"}]}]}`, "bad file name", types.CodeDataCorrupted},
		{"kind", `{"format_version":1,"id":1,"kind":"partial"}`, "unknown kind", types.CodeDataCorrupted},
		{"unknown field", `{"format_version":1,"id":1,"kind":"full","extra":1}`, "unknown field", types.CodeDataCorrupted},
	} {
		_, err := DecodeManifest([]byte(tc.json))
		if err == nil || !strings.Contains(err.Error(), tc.want) || types.Code(err) != tc.code {
			t.Errorf("%s: got %v (%s), want %q (%s)", tc.name, err, types.Code(err), tc.want, tc.code)
		}
	}
}

func FuzzDecodeManifest(f *testing.F) {
	data, _ := EncodeManifest(sampleManifest())
	f.Add(data)
	f.Add([]byte(`{"format_version":1}`))
	f.Add([]byte(`{"format_version":3}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeManifest(data)
		if err != nil {
			if types.Code(err) != types.CodeDataCorrupted && types.Code(err) != types.CodeFeatureNotSupported {
				t.Fatalf("error without a corruption or version code: %v", err)
			}
			return
		}
		// Whatever decodes re-encodes to something that decodes the same,
		// and never names a key outside the store.
		for _, s := range m.Stores {
			for _, f := range s.Files {
				if !validKey(f.Key) || strings.Contains(f.Key, "..") && strings.Contains(f.Key, "/../") {
					t.Fatalf("accepted key %q", f.Key)
				}
			}
		}
		again, err := EncodeManifest(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeManifest(again); err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
	})
}

func TestOpenBucketRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"/just/a/path", "ftp://host/x", "s3://bucket?no_such_option=1"} {
		b, err := OpenBucket(t.Context(), u)
		if err == nil {
			_ = b.Close()
			t.Errorf("%s: opened", u)
			continue
		}
		if types.Code(err) != types.CodeInvalidParameterValue {
			t.Errorf("%s: %v (%s)", u, err, types.Code(err))
		}
	}
}
