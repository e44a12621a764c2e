package checkpoint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/cockroachdb/errors"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	// The schemes a checkpoint URL may use.
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob"

	"github.com/streamdb/streamdb/sql/types"
)

// OpenBucket opens a checkpoint store URL: file:///dir, s3://bucket,
// gs://bucket, azblob://container (mem:// in tests). For file:// the
// directory is created and no attribute sidecar files are written. For the
// cloud schemes a path after the bucket (s3://bucket/a/b) becomes the
// object key prefix "a/b/".
func OpenBucket(ctx context.Context, rawURL string) (*blob.Bucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, types.Errorf(types.CodeInvalidParameterValue, "invalid checkpoint store URL %q: %v", rawURL, err)
	}
	q := u.Query()
	switch u.Scheme {
	case "file":
		if !q.Has("create_dir") {
			q.Set("create_dir", "true")
		}
		if !q.Has("metadata") {
			q.Set("metadata", "skip")
		}
		if !q.Has("no_tmp_dir") {
			// Temporary files next to their final name: the rename that
			// publishes an object stays on one file system.
			q.Set("no_tmp_dir", "true")
		}
	case "s3", "gs", "azblob":
		if p := strings.Trim(u.Path, "/"); p != "" && !q.Has("prefix") {
			q.Set("prefix", p+"/")
			u.Path = ""
		}
	case "mem":
	case "":
		return nil, types.Errorf(types.CodeInvalidParameterValue, "checkpoint store %q is not a URL (want file:///path, s3://bucket, gs://bucket or azblob://container)", rawURL)
	}
	u.RawQuery = q.Encode()
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, types.WithCode(errors.Wrapf(err, "opening checkpoint store %s", redactURL(rawURL)), types.CodeInvalidParameterValue)
	}
	return b, nil
}

// redactURL drops the query (it may carry credentials) from a URL shown in
// messages.
func redactURL(raw string) string {
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		return raw[:i]
	}
	return raw
}

// FileURL is the file:// URL of a local directory.
func FileURL(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

// uploadFile copies a local file to key and returns its size and SHA-256,
// computed from the bytes sent.
func uploadFile(ctx context.Context, b *blob.Bucket, key, localPath string) (int64, string, error) {
	f, err := os.Open(localPath)
	if err != nil {
		return 0, "", errors.Wrapf(err, "reading %s", localPath)
	}
	defer f.Close()
	h := sha256.New()
	w, err := b.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return 0, "", storeError(err, "uploading", key)
	}
	n, err := io.Copy(io.MultiWriter(w, h), f)
	if err != nil {
		_ = w.Close()
		return 0, "", storeError(err, "uploading", key)
	}
	if err := w.Close(); err != nil {
		return 0, "", storeError(err, "uploading", key)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// hashFile returns the size and SHA-256 of a local file.
func hashFile(localPath string) (int64, string, error) {
	f, err := os.Open(localPath)
	if err != nil {
		return 0, "", errors.Wrapf(err, "reading %s", localPath)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", errors.Wrapf(err, "reading %s", localPath)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// downloadFile copies object f.Key into localPath, verifying its size and
// checksum; the error names the object on any mismatch.
func downloadFile(ctx context.Context, b *blob.Bucket, f File, localPath string) error {
	r, err := b.NewReader(ctx, f.Key, nil)
	if err != nil {
		return storeError(err, "downloading", f.Key)
	}
	defer r.Close()
	out, err := os.OpenFile(localPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return errors.Wrapf(err, "restoring %s", localPath)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), r)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return storeError(err, "downloading", f.Key)
	}
	if n != f.Size {
		return types.Errorf(types.CodeDataCorrupted, "checkpoint file %s has %d bytes, the manifest says %d", f.Key, n, f.Size)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != f.SHA256 {
		return types.Errorf(types.CodeDataCorrupted, "checkpoint file %s is corrupt: sha256 %s, the manifest says %s", f.Key, sum, f.SHA256)
	}
	return nil
}

// storeError wraps an object store error with the key it concerns; a
// missing object says so plainly.
func storeError(err error, doing, key string) error {
	if gcerrors.Code(err) == gcerrors.NotFound {
		return types.Errorf(codeUndefinedFile, "checkpoint file %s is missing from the store", key)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return types.WithCode(errors.Wrapf(err, "%s %s", doing, key), types.CodeQueryCanceled)
	}
	return types.WithCode(errors.Wrapf(err, "%s %s", doing, key), types.CodeIOError)
}

// listObjects returns every key and size under prefix.
func listObjects(ctx context.Context, b *blob.Bucket, prefix string) (map[string]int64, error) {
	out := map[string]int64{}
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, storeError(err, "listing", prefix)
		}
		if !obj.IsDir {
			out[obj.Key] = obj.Size
		}
	}
}

// listCheckpointIDs returns the ids of every chk-<id>/ prefix, with or
// without a manifest, newest first.
func listCheckpointIDs(ctx context.Context, b *blob.Bucket) ([]uint64, error) {
	var ids []uint64
	it := b.List(&blob.ListOptions{Prefix: chkPrefix, Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return sortedIDs(ids), nil
		}
		if err != nil {
			return nil, storeError(err, "listing", chkPrefix)
		}
		if id, ok := parseChkDir(obj.Key); ok && obj.IsDir {
			ids = append(ids, id)
		}
	}
}

// readManifest fetches and decodes the manifest of checkpoint id;
// found=false when it has none (not committed).
func readManifest(ctx context.Context, b *blob.Bucket, id uint64) (m *Manifest, found bool, err error) {
	data, err := b.ReadAll(ctx, manifestKey(id))
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, false, nil
		}
		return nil, false, storeError(err, "reading", manifestKey(id))
	}
	m, err = DecodeManifest(data)
	if err != nil {
		return nil, true, errors.Wrapf(err, "%s", manifestKey(id))
	}
	if m.ID != id {
		return nil, true, corruptManifest("%s has id %d", manifestKey(id), m.ID)
	}
	return m, true, nil
}

// deletePrefix removes every object under prefix.
func deletePrefix(ctx context.Context, b *blob.Bucket, prefix string) error {
	objs, err := listObjects(ctx, b, prefix)
	if err != nil {
		return err
	}
	for key := range objs {
		if err := b.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return storeError(err, "deleting", key)
		}
	}
	return nil
}

// codeUndefinedFile is SQLSTATE 58P01 (undefined_file): a file a manifest
// references is not in the store.
const codeUndefinedFile = "58P01"
