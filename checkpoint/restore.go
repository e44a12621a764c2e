package checkpoint

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/cockroachdb/errors"
	"gocloud.dev/blob"

	"github.com/streamdb/streamdb/sql/types"
)

// RestoreOptions say what to restore from where.
type RestoreOptions struct {
	// URL is the checkpoint store (or savepoint) URL.
	URL string
	// DataDir receives the stores: store s is restored into DataDir/s.
	DataDir string
	// Stores names the stores to restore; each must be in the manifest.
	Stores []string
	// LocalDir holds local checkpoint copies (LocalDir(DataDir)); "" when
	// restoring from elsewhere (a savepoint).
	LocalDir string
	// Logger receives progress. Default slog.Default().
	Logger *slog.Logger
}

// RestoreResult describes a restore.
type RestoreResult struct {
	// Manifest is the checkpoint restored.
	Manifest *Manifest
	// FromLocal is true when every file came from the local copy (hard
	// links for SSTs), nothing from the store.
	FromLocal bool
	// BytesDownloaded counts the bytes read from the store.
	BytesDownloaded int64
	// BytesLinked counts the bytes hard-linked from the local copy.
	BytesLinked int64
	// Skipped lists newer checkpoints that were not intact, with why.
	Skipped []error
	// Duration of the restore.
	Duration time.Duration
}

// Restore replaces the named stores under DataDir by the newest intact
// checkpoint of the store at URL. It returns (nil, nil) when the store
// holds no committed checkpoint.
//
// A checkpoint is intact when its manifest decodes and every file it
// references is present with the recorded size and checksum. A damaged
// checkpoint is skipped for the next older one (each skip is reported in
// Skipped); when none is intact the error names what was wrong with each.
// A manifest of an unknown format version stops the restore at once: an
// older checkpoint would silently lose the newer one's data.
//
// Files are first assembled in DataDir/<store>.restoring (SSTs hard-linked
// from the local copy when it matches the manifest, else downloaded and
// verified); only when every store is complete are they renamed into
// place, so a failed restore never leaves partial state behind.
func Restore(ctx context.Context, opts RestoreOptions) (*RestoreResult, error) {
	start := time.Now()
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	b, err := OpenBucket(ctx, opts.URL)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	ids, err := listCheckpointIDs(ctx, b)
	if err != nil {
		return nil, err
	}
	res := &RestoreResult{}
	for _, id := range ids {
		m, found, err := readManifest(ctx, b, id)
		if err != nil {
			if types.Code(err) == types.CodeFeatureNotSupported {
				return nil, err
			}
			res.Skipped = append(res.Skipped, err)
			opts.Logger.Warn("checkpoint not intact, trying an older one", "id", id, "err", err)
			continue
		}
		if !found {
			continue
		}
		if err := restoreOne(ctx, b, m, opts, res); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			res.Skipped = append(res.Skipped, errors.Wrapf(err, "checkpoint %d", id))
			opts.Logger.Warn("checkpoint not intact, trying an older one", "id", id, "err", err)
			res.BytesDownloaded, res.BytesLinked, res.FromLocal = 0, 0, false
			continue
		}
		res.Manifest = m
		res.Duration = time.Since(start)
		return res, nil
	}
	if len(res.Skipped) > 0 {
		return nil, types.WithCode(errors.Wrapf(errors.Join(res.Skipped...), "no intact checkpoint in %s", redactURL(opts.URL)), types.CodeDataCorrupted)
	}
	return nil, nil
}

// restoreOne restores checkpoint m or fails leaving the stores untouched.
func restoreOne(ctx context.Context, b *blob.Bucket, m *Manifest, opts RestoreOptions, res *RestoreResult) error {
	var stores []*StoreFiles
	for _, name := range opts.Stores {
		s := m.Store(name)
		if s == nil {
			return types.Errorf(types.CodeDataCorrupted, "checkpoint %d has no %q store", m.ID, name)
		}
		stores = append(stores, s)
	}
	var localRoot string
	if opts.LocalDir != "" {
		localRoot = filepath.Join(opts.LocalDir, "chk-"+strconv.FormatUint(m.ID, 10))
	}
	local := localRoot != "" && localMatches(localRoot, m, stores)
	if !local {
		// Check every object first: a missing one fails fast, before any
		// large download.
		for _, s := range stores {
			for _, f := range s.Files {
				attrs, err := b.Attributes(ctx, f.Key)
				if err != nil {
					return storeError(err, "checking", f.Key)
				}
				if attrs.Size != f.Size {
					return types.Errorf(types.CodeDataCorrupted, "checkpoint file %s has %d bytes, the manifest says %d", f.Key, attrs.Size, f.Size)
				}
			}
		}
	}
	staged := make([]string, 0, len(stores))
	cleanup := func() {
		for _, d := range staged {
			_ = os.RemoveAll(d)
		}
	}
	for _, s := range stores {
		tmp := filepath.Join(opts.DataDir, s.Name+".restoring")
		if err := os.RemoveAll(tmp); err != nil {
			cleanup()
			return errors.Wrapf(err, "clearing %s", tmp)
		}
		if err := os.MkdirAll(tmp, 0o755); err != nil {
			cleanup()
			return errors.Wrapf(err, "creating %s", tmp)
		}
		staged = append(staged, tmp)
		for _, f := range s.Files {
			dst := filepath.Join(tmp, f.Name)
			var err error
			if local {
				var n int64
				n, err = linkOrCopy(filepath.Join(localRoot, s.Name, f.Name), dst, isSST(f.Name))
				res.BytesLinked += n
			} else {
				err = downloadFile(ctx, b, f, dst)
				res.BytesDownloaded += f.Size
			}
			if err != nil {
				cleanup()
				return err
			}
		}
		if err := syncDir(tmp); err != nil {
			cleanup()
			return err
		}
	}
	res.FromLocal = local
	// Every store is complete: swap them in.
	for i, s := range stores {
		target := filepath.Join(opts.DataDir, s.Name)
		old := target + ".old"
		if err := os.RemoveAll(old); err != nil {
			return errors.Wrapf(err, "clearing %s", old)
		}
		if _, err := os.Stat(target); err == nil {
			if err := os.Rename(target, old); err != nil {
				return errors.Wrapf(err, "moving %s aside", target)
			}
		}
		if err := os.Rename(staged[i], target); err != nil {
			return errors.Wrapf(err, "moving the restored %s store into place", s.Name)
		}
		if err := syncDir(opts.DataDir); err != nil {
			return err
		}
		if err := os.RemoveAll(old); err != nil {
			opts.Logger.Warn("removing the replaced store", "dir", old, "err", err)
		}
	}
	opts.Logger.Info("restored checkpoint", "id", m.ID, "epoch", m.Epoch, "kind", m.Kind, "stores", opts.Stores,
		"from_local", local, "bytes_downloaded", res.BytesDownloaded)
	return nil
}

// localMatches reports whether the local copy root holds checkpoint m:
// its local manifest has m's id and every file has the recorded size.
// (Checksums of local files are not recomputed: the copy was made from
// these very files, and rereading gigabytes would defeat local recovery.)
func localMatches(root string, m *Manifest, stores []*StoreFiles) bool {
	data, err := os.ReadFile(filepath.Join(root, manifestName))
	if err != nil {
		return false
	}
	lm, err := DecodeManifest(data)
	if err != nil || lm.ID != m.ID {
		return false
	}
	for _, s := range stores {
		for _, f := range s.Files {
			info, err := os.Stat(filepath.Join(root, s.Name, f.Name))
			if err != nil || !info.Mode().IsRegular() || info.Size() != f.Size {
				return false
			}
		}
	}
	return true
}

// linkOrCopy hard-links an immutable SST and copies anything else: Pebble
// appends to its MANIFEST and recycles WAL files in place, which must not
// reach the local checkpoint copy through a shared inode.
func linkOrCopy(src, dst string, link bool) (int64, error) {
	info, err := os.Stat(src)
	if err != nil {
		return 0, errors.Wrapf(err, "local checkpoint file %s", src)
	}
	if link {
		if err := os.Link(src, dst); err == nil {
			return info.Size(), nil
		}
	}
	in, err := os.Open(src)
	if err != nil {
		return 0, errors.Wrapf(err, "local checkpoint file %s", src)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, errors.Wrapf(err, "restoring %s", dst)
	}
	n, err := io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, errors.Wrapf(err, "restoring %s", dst)
	}
	return n, nil
}

// syncDir fsyncs a directory so renames and new entries in it survive a
// crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return errors.Wrapf(err, "syncing %s", dir)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return errors.Wrapf(err, "syncing %s", dir)
	}
	return nil
}
