package checkpoint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/types"
)

// FormatVersion is the manifest format this build writes and the only one
// it reads. A manifest with another version was written by a different
// streamdb build; restoring it is refused rather than guessed at.
const FormatVersion = 1

// Kinds of checkpoint.
const (
	// KindIncremental references the immutable SSTs under shared/.
	KindIncremental = "incremental"
	// KindFull keeps a copy of every file under its own chk-<id>/ prefix:
	// losing a shared object cannot invalidate it.
	KindFull = "full"
	// KindSavepoint is a full checkpoint written to a user-chosen URL.
	KindSavepoint = "savepoint"
)

// Manifest describes one committed checkpoint. It is written last, as
// chk-<id>/MANIFEST.json: its presence is the commit point, so an aborted
// checkpoint leaves only garbage that retention removes.
type Manifest struct {
	// FormatVersion is FormatVersion of the writer.
	FormatVersion int `json:"format_version"`
	// ID numbers checkpoints in the store; it increases by one per attempt.
	ID uint64 `json:"id"`
	// Epoch is the last committed dataflow epoch the state store holds.
	Epoch uint64 `json:"epoch"`
	// Created is when the stores were captured.
	Created time.Time `json:"created"`
	// Kind is KindIncremental, KindFull or KindSavepoint.
	Kind string `json:"kind"`
	// CatalogVersion is the catalog version in the captured table store.
	CatalogVersion uint64 `json:"catalog_version"`
	// Stores lists, per Pebble instance, the files of its checkpoint.
	Stores []StoreFiles `json:"stores"`
	// Metadata is free-form information the server records (source
	// offsets, the table store's commit seq).
	Metadata map[string]string `json:"metadata,omitempty"`
}

// StoreFiles lists the files of one store's Pebble checkpoint.
type StoreFiles struct {
	// Name is the store's name ("state", "tables"): the directory it is
	// restored into under the data directory.
	Name  string `json:"name"`
	Files []File `json:"files"`
}

// File is one file of a Pebble checkpoint.
type File struct {
	// Name is the file name inside the Pebble directory (000012.sst,
	// MANIFEST-000001, OPTIONS-000003, marker.*).
	Name string `json:"name"`
	// Key is the object key, relative to the store root, holding the
	// file's bytes: shared/<store>/<name> or chk-<id>/<store>/<name>.
	Key string `json:"key"`
	// Size in bytes.
	Size int64 `json:"size"`
	// SHA256 is the hex SHA-256 of the contents.
	SHA256 string `json:"sha256"`
	// Shared, in a full checkpoint, is the shared/ object holding the same
	// bytes as Key. Restore never reads it; retention keeps it so that the
	// incremental checkpoints after a full one still reuse the SST.
	Shared string `json:"shared,omitempty"`
}

// Store returns the files of the named store, or nil.
func (m *Manifest) Store(name string) *StoreFiles {
	for i := range m.Stores {
		if m.Stores[i].Name == name {
			return &m.Stores[i]
		}
	}
	return nil
}

// TotalBytes is the sum of the sizes of every file.
func (m *Manifest) TotalBytes() int64 {
	var n int64
	for _, s := range m.Stores {
		for _, f := range s.Files {
			n += f.Size
		}
	}
	return n
}

// Object key layout of a checkpoint store.
const (
	sharedPrefix  = "shared/"
	chkPrefix     = "chk-"
	manifestName  = "MANIFEST.json"
	maxIDDigits   = 20
	sha256HexSize = 64
)

// chkDir is the prefix of checkpoint id's objects, with a trailing slash.
func chkDir(id uint64) string { return chkPrefix + strconv.FormatUint(id, 10) + "/" }

// manifestKey is the commit object of checkpoint id.
func manifestKey(id uint64) string { return chkDir(id) + manifestName }

// sharedKey is where an immutable SST of a store is uploaded once.
func sharedKey(store, name string) string { return sharedPrefix + store + "/" + name }

// parseChkDir returns the id of a "chk-<id>/" prefix (trailing slash
// optional).
func parseChkDir(p string) (uint64, bool) {
	p = strings.TrimSuffix(p, "/")
	if !strings.HasPrefix(p, chkPrefix) {
		return 0, false
	}
	digits := p[len(chkPrefix):]
	if digits == "" || len(digits) > maxIDDigits {
		return 0, false
	}
	id, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || strconv.FormatUint(id, 10) != digits {
		return 0, false
	}
	return id, true
}

// EncodeManifest returns the JSON form of m.
func EncodeManifest(m *Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, errors.Wrap(err, "encoding a checkpoint manifest")
	}
	return append(b, '\n'), nil
}

// DecodeManifest parses and validates a manifest. An unknown format
// version is refused (SQLSTATE 0A000) with the version in the message;
// anything malformed is reported as corrupt (XX001).
func DecodeManifest(data []byte) (*Manifest, error) {
	// Read the version first so that a future format with a different
	// shape is reported as a version problem, not as corruption.
	var head struct {
		FormatVersion *int `json:"format_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, corruptManifest("not valid JSON: %v", err)
	}
	if head.FormatVersion == nil {
		return nil, corruptManifest("no format_version")
	}
	if *head.FormatVersion != FormatVersion {
		return nil, types.Errorf(types.CodeFeatureNotSupported,
			"checkpoint manifest format version %d is not supported (this streamdb reads version %d); restore it with the streamdb release that wrote it",
			*head.FormatVersion, FormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, corruptManifest("%v", err)
	}
	if dec.More() {
		return nil, corruptManifest("trailing data after the manifest")
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// validate checks what restore relies on: known kind, unique stores and
// file names, keys inside the store, sane sizes and checksums.
func (m *Manifest) validate() error {
	switch m.Kind {
	case KindIncremental, KindFull, KindSavepoint:
	default:
		return corruptManifest("unknown kind %q", m.Kind)
	}
	if m.ID == 0 {
		return corruptManifest("id 0")
	}
	seenStore := map[string]bool{}
	for _, s := range m.Stores {
		if !validName(s.Name) {
			return corruptManifest("bad store name %q", s.Name)
		}
		if seenStore[s.Name] {
			return corruptManifest("store %q listed twice", s.Name)
		}
		seenStore[s.Name] = true
		seenFile := map[string]bool{}
		for _, f := range s.Files {
			if !validName(f.Name) {
				return corruptManifest("store %q: bad file name %q", s.Name, f.Name)
			}
			if seenFile[f.Name] {
				return corruptManifest("store %q: file %q listed twice", s.Name, f.Name)
			}
			seenFile[f.Name] = true
			if f.Size < 0 {
				return corruptManifest("file %q: negative size", f.Name)
			}
			if len(f.SHA256) != sha256HexSize || strings.Trim(f.SHA256, "0123456789abcdef") != "" {
				return corruptManifest("file %q: bad sha256 %q", f.Name, f.SHA256)
			}
			if !validKey(f.Key) {
				return corruptManifest("file %q: bad object key %q", f.Name, f.Key)
			}
			if f.Shared != "" && (!validKey(f.Shared) || !strings.HasPrefix(f.Shared, sharedPrefix)) {
				return corruptManifest("file %q: bad shared key %q", f.Name, f.Shared)
			}
		}
	}
	return nil
}

// validName accepts a plain file or store name: no path separators, no
// dot names, nothing a restore could use to escape its directory.
func validName(n string) bool {
	return n != "" && n != "." && n != ".." && len(n) <= 255 && !strings.ContainsAny(n, "/\\\x00")
}

// validKey accepts a relative, clean object key under shared/ or chk-<id>/.
func validKey(k string) bool {
	if k == "" || strings.HasPrefix(k, "/") || path.Clean(k) != k || strings.Contains(k, "\\") || strings.ContainsRune(k, 0) {
		return false
	}
	for _, part := range strings.Split(k, "/") {
		if part == ".." || part == "." {
			return false
		}
	}
	if strings.HasPrefix(k, sharedPrefix) {
		return true
	}
	i := strings.IndexByte(k, '/')
	if i < 0 {
		return false
	}
	_, ok := parseChkDir(k[:i])
	return ok
}

func corruptManifest(format string, args ...any) error {
	return types.Errorf(types.CodeDataCorrupted, "corrupt checkpoint manifest: %s", fmt.Sprintf(format, args...))
}

// sortedIDs returns ids newest first.
func sortedIDs(ids []uint64) []uint64 {
	sort.Slice(ids, func(i, j int) bool { return ids[i] > ids[j] })
	return ids
}
