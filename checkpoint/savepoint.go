package checkpoint

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"gocloud.dev/blob"

	"github.com/streamdb/streamdb/sql/types"
)

// Savepoint writes a full, self-contained copy of the source's stores to
// the store at url (SELECT streamdb.savepoint('<url>')): every file under
// chk-<id>/, the manifest last, nothing shared with other checkpoints, so
// the URL alone restores it (streamdb serve --restore-from <url>). The id
// follows any checkpoint already at that URL. It runs under the same lock
// as checkpoints and returns the savepoint's manifest.
func (c *Checkpointer) Savepoint(ctx context.Context, url string) (*Manifest, error) {
	if url == c.opts.Dir {
		return nil, types.Errorf(types.CodeInvalidParameterValue, "a savepoint cannot be written into the checkpoint store (%s); choose another URL", redactURL(url))
	}
	b, err := OpenBucket(ctx, url)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	ids, err := listCheckpointIDs(ctx, b)
	if err != nil {
		return nil, err
	}
	id := uint64(1)
	if len(ids) > 0 {
		id = ids[0] + 1
	}
	a := Attempt{ID: id, Kind: KindSavepoint, Started: time.Now(), Status: StatusRunning, Location: redactURL(url)}
	dir := filepath.Join(LocalDir(c.opts.DataDir), "savepoint-"+strconv.FormatInt(a.Started.UnixNano(), 10))
	defer os.RemoveAll(dir)
	m, err := c.writeSavepoint(ctx, b, dir, id, &a)
	a.Duration = time.Since(a.Started)
	if err != nil {
		a.Status, a.Error = StatusFailed, err.Error()
		c.metrics.failures.Inc()
		c.record(a)
		return nil, err
	}
	a.Status = StatusCompleted
	c.record(a)
	c.logger.Info("savepoint written", "url", redactURL(url), "id", id, "epoch", m.Epoch, "bytes", a.BytesUploaded, "duration", a.Duration)
	return m, nil
}

func (c *Checkpointer) writeSavepoint(ctx context.Context, b *blob.Bucket, dir string, id uint64, a *Attempt) (*Manifest, error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	m, err := captureInto(ctx, c.src, dir, id, KindSavepoint, true, &a.Phases)
	if err != nil {
		return nil, err
	}
	a.Epoch = m.Epoch
	c.record(*a)
	for si := range m.Stores {
		s := &m.Stores[si]
		sdir := filepath.Join(dir, s.Name)
		entries, err := localFiles(sdir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			key := chkDir(id) + s.Name + "/" + e.Name()
			n, sum, err := uploadFile(ctx, b, key, filepath.Join(sdir, e.Name()))
			if err != nil {
				return nil, err
			}
			a.BytesUploaded += n
			c.metrics.uploaded.Add(float64(n))
			s.Files = append(s.Files, File{Name: e.Name(), Key: key, Size: n, SHA256: sum})
		}
		a.Files += len(s.Files)
	}
	data, err := EncodeManifest(m)
	if err != nil {
		return nil, err
	}
	if err := b.WriteAll(ctx, manifestKey(id), data, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return nil, storeError(err, "writing", manifestKey(id))
	}
	return m, nil
}
