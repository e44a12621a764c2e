package state

import (
	"encoding/binary"

	"github.com/streamdb/streamdb/sql/types"
)

// Key prefixes of a TableStore (see the package documentation).
const (
	prefixRow     = 't'
	prefixLog     = 'l'
	prefixMeta    = 'm'
	PrefixCatalog = 'c' // reserved for package catalog
)

var (
	keyCommitSeq = []byte("mcommitseq")
	keyRowIDBase = []byte("mrowid")
	keySeqBase   = []byte("mseq")
	// keyLogOnlyBase | tableOID marks a log-only table (logonly.go).
	keyLogOnlyBase = []byte("mlogonly")
	// keyLogStartBase | tableOID is the bound of the table's last log
	// truncation; keyLogRetention is the truncating caller's record
	// (logtruncate.go).
	keyLogStartBase = []byte("mlogstart")
	keyLogRetention = []byte("mlogretention")
)

// tablePrefix is prefix | tableOID.
func tablePrefix(prefix byte, tableOID uint32) []byte {
	b := make([]byte, 5, 32)
	b[0] = prefix
	binary.BigEndian.PutUint32(b[1:], tableOID)
	return b
}

// rowKey is the Pebble key of a row: 't' | tableOID | key.
func rowKey(tableOID uint32, key []byte) []byte {
	return append(tablePrefix(prefixRow, tableOID), key...)
}

// logKey is the Pebble key of a change-log record.
func logKey(buf []byte, tableOID uint32, seq uint64, n uint32) []byte {
	buf = append(buf, prefixLog)
	buf = binary.BigEndian.AppendUint32(buf, tableOID)
	buf = binary.BigEndian.AppendUint64(buf, seq)
	return binary.BigEndian.AppendUint32(buf, n)
}

func oidKey(base []byte, oid uint32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), base...), oid)
}

// PrimaryKey appends the row key of r for a table whose primary key is the
// given slots: the order-preserving encoding of each key column.
func PrimaryKey(buf []byte, r types.Row, slots []int) []byte {
	for _, s := range slots {
		buf = types.AppendKey(buf, r[s], false)
	}
	return buf
}

// RowIDKey is the row key of a table without a primary key: the hidden row
// id, 8 bytes big-endian (so keys sort in id order).
func RowIDKey(id int64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(id))
}
