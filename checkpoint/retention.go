package checkpoint

import (
	"context"
	"strings"

	"github.com/cockroachdb/errors"
	"gocloud.dev/gcerrors"
)

// retain applies the retention policy to the store (called with c.mu held,
// after a checkpoint committed, so no upload is in progress):
//
//   - the newest Retain committed checkpoints are kept, plus the newest
//     full one (so a lost shared object never invalidates every retained
//     checkpoint);
//   - older committed checkpoints are deleted manifest first, so a
//     half-deleted checkpoint never looks committed;
//   - uncommitted chk-<id>/ prefixes older than the newest committed one
//     are leftovers of aborted attempts and are deleted;
//   - a shared object is deleted only when no kept manifest, as read back
//     from the store, references it. If any kept manifest cannot be read,
//     no shared object is deleted in this pass.
func (c *Checkpointer) retain(ctx context.Context) error {
	ids, err := listCheckpointIDs(ctx, c.bucket)
	if err != nil {
		return err
	}
	type entry struct {
		id       uint64
		manifest *Manifest
		readErr  error
	}
	var committed, uncommitted []entry
	for _, id := range ids {
		m, found, err := readManifest(ctx, c.bucket, id)
		switch {
		case err != nil:
			committed = append(committed, entry{id: id, readErr: err})
		case found:
			committed = append(committed, entry{id: id, manifest: m})
		default:
			uncommitted = append(uncommitted, entry{id: id})
		}
	}
	// committed is newest first (ids are).
	keep := map[uint64]bool{}
	readable := 0
	var newestFull uint64
	for _, e := range committed {
		if e.manifest == nil {
			continue
		}
		if readable < c.opts.Retain {
			keep[e.id] = true
			readable++
		}
		if newestFull == 0 && (e.manifest.Kind == KindFull || e.manifest.Kind == KindSavepoint) {
			newestFull = e.id
		}
	}
	if newestFull != 0 {
		keep[newestFull] = true
	}
	var oldestKept uint64
	for id := range keep {
		if oldestKept == 0 || id < oldestKept {
			oldestKept = id
		}
	}
	var newestCommitted uint64
	if len(committed) > 0 {
		newestCommitted = committed[0].id
	}
	sharedGC := true
	var referenced = map[string]bool{}
	for _, e := range committed {
		switch {
		case keep[e.id]:
			for _, s := range e.manifest.Stores {
				for _, f := range s.Files {
					referenced[f.Key] = true
					if f.Shared != "" {
						referenced[f.Shared] = true
					}
				}
			}
		case e.manifest == nil && e.id > oldestKept:
			// An unreadable manifest among the kept ones: its references
			// are unknown, so nothing shared may go.
			sharedGC = false
			c.logger.Warn("checkpoint manifest unreadable; shared files are not garbage-collected", "id", e.id, "err", e.readErr)
		default:
			if err := c.deleteCheckpoint(ctx, e.id); err != nil {
				return err
			}
		}
	}
	for _, e := range uncommitted {
		if e.id < newestCommitted {
			if err := deletePrefix(ctx, c.bucket, chkDir(e.id)); err != nil {
				return err
			}
		}
	}
	if !sharedGC {
		return nil
	}
	present, err := listObjects(ctx, c.bucket, sharedPrefix)
	if err != nil {
		return err
	}
	for key := range present {
		if referenced[key] || !strings.HasPrefix(key, sharedPrefix) {
			continue
		}
		if err := c.bucket.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return storeError(err, "deleting", key)
		}
		delete(c.shared, key)
	}
	return nil
}

// deleteCheckpoint removes checkpoint id: its manifest first (it stops
// being a restore candidate), then its own files.
func (c *Checkpointer) deleteCheckpoint(ctx context.Context, id uint64) error {
	if err := c.bucket.Delete(ctx, manifestKey(id)); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return errors.Wrapf(storeError(err, "deleting", manifestKey(id)), "retention")
	}
	return deletePrefix(ctx, c.bucket, chkDir(id))
}
