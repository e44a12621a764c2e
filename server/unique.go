package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/sql/types"
	"github.com/streamdb/streamdb/state"
)

// Unique secondary indexes are enforced with one entry per row in the
// table store, stored like a table under the index's OID: the key is the
// order-preserving encoding of the indexed columns, the value the row's
// storage key. Txn.Insert refuses an existing key, which is the uniqueness
// check, and commit-time validation covers concurrent transactions. Rows
// with a NULL in an indexed column have no entry (NULLs are distinct, as in
// Postgres).

// uniqueIndexes returns the unique indexes other than the primary key.
func uniqueIndexes(d *catalog.Descriptor) []*catalog.Index {
	var out []*catalog.Index
	for i := range d.Indexes {
		ix := &d.Indexes[i]
		if ix.Unique && !ix.Primary {
			out = append(out, ix)
		}
	}
	return out
}

// indexKey returns the entry key of row in ix; ok is false when an indexed
// column is NULL.
func indexKey(ix *catalog.Index, row types.Row) ([]byte, bool) {
	var k []byte
	for _, s := range ix.Columns {
		if s >= len(row) || row[s].IsNull() {
			return nil, false
		}
		k = types.AppendKey(k, row[s], false)
	}
	return k, true
}

func uniqueViolation(d *catalog.Descriptor, ix *catalog.Index, row types.Row, loc func(types.Datum, *types.T) string) error {
	var names, vals []string
	for _, s := range ix.Columns {
		names = append(names, d.Columns[s].Name)
		vals = append(vals, loc(row[s], d.Columns[s].Type()))
	}
	return withDetail(types.Errorf(types.CodeUniqueViolation, "duplicate key value violates unique constraint %q", ix.Name),
		fmt.Sprintf("Key (%s)=(%s) already exists.", strings.Join(names, ", "), strings.Join(vals, ", ")))
}

func (wr *writer) text(d types.Datum, t *types.T) string {
	if d.IsNull() {
		return "null"
	}
	return string(types.AppendText(nil, d, t, wr.sess.settings.location()))
}

// indexInsert adds row's entries to the unique indexes.
func (wr *writer) indexInsert(rowKey []byte, row types.Row) error {
	for _, ix := range uniqueIndexes(wr.desc) {
		k, ok := indexKey(ix, row)
		if !ok {
			continue
		}
		if err := wr.sess.txn.Insert(ix.OID, k, types.Row{types.DBytes(rowKey)}); err != nil {
			if types.Code(err) == types.CodeUniqueViolation {
				return uniqueViolation(wr.desc, ix, row, wr.text)
			}
			return err
		}
	}
	return nil
}

// indexDelete removes row's entries from the unique indexes.
func (wr *writer) indexDelete(row types.Row) error {
	for _, ix := range uniqueIndexes(wr.desc) {
		k, ok := indexKey(ix, row)
		if !ok {
			continue
		}
		if err := wr.sess.txn.Delete(ix.OID, k, nil); err != nil {
			return err
		}
	}
	return nil
}

// indexUpdate moves the entries of a row whose indexed values changed.
func (wr *writer) indexUpdate(oldRow types.Row, newKey []byte, newRow types.Row) error {
	for _, ix := range uniqueIndexes(wr.desc) {
		ok1, _ := indexKey(ix, oldRow)
		nk, ok2 := indexKey(ix, newRow)
		if string(ok1) == string(nk) && ok2 {
			continue
		}
		if ok1 != nil {
			if err := wr.sess.txn.Delete(ix.OID, ok1, nil); err != nil {
				return err
			}
		}
		if ok2 {
			if err := wr.sess.txn.Insert(ix.OID, nk, types.Row{types.DBytes(newKey)}); err != nil {
				if types.Code(err) == types.CodeUniqueViolation {
					return uniqueViolation(wr.desc, ix, newRow, wr.text)
				}
				return err
			}
		}
	}
	return nil
}

// buildUniqueIndex fills a new unique index from the table's rows, failing
// with 23505 when two rows share a key.
func (sess *session) buildUniqueIndex(ctx context.Context, d *catalog.Descriptor, ix *catalog.Index) error {
	seen := map[string]types.Row{}
	var entries [][]byte
	var keys [][]byte
	err := sess.txn.Scan(ctx, d.OID, func(rowKey []byte, r types.Row) error {
		k, ok := indexKey(ix, r)
		if !ok {
			return nil
		}
		if _, dup := seen[string(k)]; dup {
			var names, vals []string
			for _, s := range ix.Columns {
				names = append(names, d.Columns[s].Name)
				vals = append(vals, string(types.AppendText(nil, r[s], d.Columns[s].Type(), sess.settings.location())))
			}
			return withDetail(types.Errorf(types.CodeUniqueViolation, "could not create unique index %q", ix.Name),
				fmt.Sprintf("Key (%s)=(%s) is duplicated.", strings.Join(names, ", "), strings.Join(vals, ", ")))
		}
		seen[string(k)] = r
		keys = append(keys, k)
		entries = append(entries, append([]byte(nil), rowKey...))
		return nil
	})
	if err != nil {
		return err
	}
	for i := range keys {
		if err := sess.txn.Insert(ix.OID, keys[i], types.Row{types.DBytes(entries[i])}); err != nil {
			return err
		}
	}
	return nil
}

var _ = state.RowIDKey
