package checkpoint

import (
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2/record"
)

// trimRecycledWAL cuts a WAL file that Pebble copied into a checkpoint
// down to its live records.
//
// Pebble recycles WAL files: a new log reuses an old file, whose stale
// tail (up to a memtable's worth of old records, tagged with the old log
// number) stays on disk, and Checkpoint copies the whole file. The
// checkpointer flushes the memtable first, so the live part of the log is
// nearly empty, yet every checkpoint would upload tens of MiB of stale
// tail. A record reader for the log's number stops at the first chunk of
// another log, a torn or a zeroed chunk (io.EOF or an invalid-record
// error), which is where Pebble's WAL replay stops too; the file is
// truncated at the end of the last whole record, so replay reads the same
// records. Any other error (an I/O error) leaves the file whole.
func trimRecycledWAL(path string) error {
	base := strings.TrimSuffix(path[strings.LastIndexByte(path, '/')+1:], ".log")
	num, err := strconv.ParseUint(base, 10, 64)
	if err != nil {
		return nil // not a numbered log: leave it alone
	}
	f, err := os.Open(path)
	if err != nil {
		return errors.Wrapf(err, "opening %s", path)
	}
	r := record.NewReader(f, logNumFor(record.NewReader, num))
	end := int64(0)
	for {
		rec, err := r.Next()
		if err == nil {
			_, err = io.Copy(io.Discard, rec)
		}
		if err != nil {
			_ = f.Close()
			if err != io.EOF && !record.IsInvalidRecord(err) {
				return nil
			}
			break
		}
		end = r.Offset()
	}
	info, err := os.Stat(path)
	if err != nil {
		return errors.Wrapf(err, "reading %s", path)
	}
	if info.Size() <= end {
		return nil
	}
	return errors.Wrapf(os.Truncate(path, end), "trimming %s", path)
}

// logNumFor converts n to the log number type of newReader's second
// parameter, which Pebble declares in an internal package: the type is
// inferred, never named.
func logNumFor[T ~uint64](_ func(io.Reader, T) *record.Reader, n uint64) T { return T(n) }
