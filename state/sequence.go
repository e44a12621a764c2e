package state

import (
	"encoding/json"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/streamdb/streamdb/sql/types"
)

// seqLogAhead is how many increments NextVal reserves with one synced
// write (Postgres' SEQ_LOG_VALS): after a crash values may skip up to this
// many, but never repeat.
const seqLogAhead = 32

// codeSequenceLimit is SQLSTATE 2200H, sequence_generator_limit_exceeded.
const codeSequenceLimit = "2200H"

// SequenceOptions are the parameters of a sequence (CREATE SEQUENCE).
type SequenceOptions struct {
	// Name is the (qualified) name used in error messages.
	Name      string
	Start     int64
	Increment int64
	Min       int64
	Max       int64
	Cycle     bool
}

// DefaultSequenceOptions returns Postgres' defaults for a sequence with the
// given increment over a type whose range is [typeMin, typeMax] (bigint:
// math.MinInt64, math.MaxInt64): ascending sequences go from 1 to typeMax,
// descending ones from -1 down to typeMin.
func DefaultSequenceOptions(name string, increment, typeMin, typeMax int64) SequenceOptions {
	o := SequenceOptions{Name: name, Increment: increment, Min: 1, Max: typeMax, Start: 1}
	if increment < 0 {
		o.Min, o.Max, o.Start = typeMin, -1, -1
	}
	return o
}

// Validate checks the options like CREATE SEQUENCE does (22023).
func (o *SequenceOptions) Validate() error {
	switch {
	case o.Increment == 0:
		return types.Errorf(types.CodeInvalidParameterValue, "INCREMENT must not be zero")
	case o.Min >= o.Max:
		return types.Errorf(types.CodeInvalidParameterValue, "MINVALUE (%d) must be less than MAXVALUE (%d)", o.Min, o.Max)
	case o.Start < o.Min:
		return types.Errorf(types.CodeInvalidParameterValue, "START value (%d) cannot be less than MINVALUE (%d)", o.Start, o.Min)
	case o.Start > o.Max:
		return types.Errorf(types.CodeInvalidParameterValue, "START value (%d) cannot be greater than MAXVALUE (%d)", o.Start, o.Max)
	}
	return nil
}

// sequenceRecord is the persisted state of a sequence (JSON: written at
// most once per seqLogAhead values). When Clean, Last and IsCalled are
// exact; otherwise the process may have handed out values up to Reserved,
// so a restart continues after Reserved.
type sequenceRecord struct {
	Options  SequenceOptions
	Last     int64
	IsCalled bool
	Reserved int64
	Clean    bool
}

// sequence is the in-memory state of a sequence.
type sequence struct {
	opts     SequenceOptions
	last     int64
	isCalled bool
	// reserved is the last value that may be handed out without another
	// write; valid only when hasReserve.
	reserved   int64
	hasReserve bool
}

func (s *sequence) record(clean bool) sequenceRecord {
	return sequenceRecord{Options: s.opts, Last: s.last, IsCalled: s.isCalled, Reserved: s.reserved, Clean: clean}
}

func (ts *TableStore) writeSequence(oid uint32, rec sequenceRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return errors.Wrap(err, "encode sequence")
	}
	return ts.store.Write(func(b *pebble.Batch) error {
		return b.Set(oidKey(keySeqBase, oid), data, nil)
	})
}

// loadSequenceLocked returns the state of a sequence, reading it on first
// use.
func (ts *TableStore) loadSequenceLocked(oid uint32) (*sequence, error) {
	if s := ts.seqMu.seqs[oid]; s != nil {
		return s, nil
	}
	data, ok, err := ts.store.Get(oidKey(keySeqBase, oid))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, types.Errorf(types.CodeUndefinedObject, "sequence with OID %d does not exist", oid)
	}
	var rec sequenceRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, types.WithCode(errors.Wrapf(err, "corrupt sequence record %d", oid), types.CodeDataCorrupted)
	}
	s := &sequence{opts: rec.Options, last: rec.Last, isCalled: rec.IsCalled}
	if !rec.Clean {
		// Values up to Reserved may have been handed out before a crash.
		s.last, s.isCalled = rec.Reserved, true
	}
	ts.seqMu.seqs[oid] = s
	return s, nil
}

// CreateSequence defines a sequence durably; its first NextVal returns
// opts.Start. For CREATE SEQUENCE (and serial columns) allocate the OID
// (catalog.AllocOID), call CreateSequence, then create the descriptor: a
// crash in between leaves only an unused record.
func (ts *TableStore) CreateSequence(oid uint32, opts SequenceOptions) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	ts.seqMu.Lock()
	defer ts.seqMu.Unlock()
	s := &sequence{opts: opts, last: opts.Start}
	if err := ts.writeSequence(oid, s.record(true)); err != nil {
		return err
	}
	ts.seqMu.seqs[oid] = s
	return nil
}

// AlterSequence replaces the options of a sequence, keeping its current
// value (ALTER SEQUENCE; RESTART is SetVal(oid, v, false)).
func (ts *TableStore) AlterSequence(oid uint32, opts SequenceOptions) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	ts.seqMu.Lock()
	defer ts.seqMu.Unlock()
	s, err := ts.loadSequenceLocked(oid)
	if err != nil {
		return err
	}
	next := *s
	next.opts = opts
	next.hasReserve = false
	if err := ts.writeSequence(oid, next.record(true)); err != nil {
		return err
	}
	*s = next
	return nil
}

// DropSequence removes a sequence durably.
func (ts *TableStore) DropSequence(oid uint32) error {
	ts.seqMu.Lock()
	defer ts.seqMu.Unlock()
	err := ts.store.Write(func(b *pebble.Batch) error { return WriteDropSequence(b, oid) })
	if err == nil {
		delete(ts.seqMu.seqs, oid)
	}
	return err
}

// SequenceState returns the options, last value and is_called flag of a
// sequence (SELECT * FROM seq, pg_sequences).
func (ts *TableStore) SequenceState(oid uint32) (opts SequenceOptions, last int64, isCalled bool, err error) {
	ts.seqMu.Lock()
	defer ts.seqMu.Unlock()
	s, err := ts.loadSequenceLocked(oid)
	if err != nil {
		return SequenceOptions{}, 0, false, err
	}
	return s.opts, s.last, s.isCalled, nil
}

// NextVal advances a sequence and returns the new value (nextval). Values
// are never handed out twice, crashes included; like in Postgres, nextval
// is not transactional and a crash may skip values.
func (ts *TableStore) NextVal(seqOID uint32) (int64, error) {
	ts.seqMu.Lock()
	defer ts.seqMu.Unlock()
	s, err := ts.loadSequenceLocked(seqOID)
	if err != nil {
		return 0, err
	}
	o := &s.opts
	v := s.last
	wrapped := false
	if s.isCalled {
		var overflow bool
		v, overflow = addInt64(s.last, o.Increment)
		if o.Increment > 0 && (overflow || v > o.Max) {
			if !o.Cycle {
				return 0, types.Errorf(codeSequenceLimit, "nextval: reached maximum value of sequence \"%s\" (%d)", o.Name, o.Max)
			}
			v, wrapped = o.Min, true
		}
		if o.Increment < 0 && (overflow || v < o.Min) {
			if !o.Cycle {
				return 0, types.Errorf(codeSequenceLimit, "nextval: reached minimum value of sequence \"%s\" (%d)", o.Name, o.Min)
			}
			v, wrapped = o.Max, true
		}
	}
	beyond := (o.Increment > 0 && v > s.reserved) || (o.Increment < 0 && v < s.reserved)
	if !s.hasReserve || wrapped || beyond {
		next := *s
		next.last, next.isCalled = v, true
		ahead, overflow := addInt64(v, o.Increment*seqLogAhead)
		switch {
		case o.Increment > 0 && (overflow || ahead > o.Max):
			ahead = o.Max
		case o.Increment < 0 && (overflow || ahead < o.Min):
			ahead = o.Min
		}
		next.reserved, next.hasReserve = ahead, true
		if err := ts.writeSequence(seqOID, next.record(false)); err != nil {
			return 0, err
		}
		*s = next
		return v, nil
	}
	s.last, s.isCalled = v, true
	return v, nil
}

// SetVal sets a sequence's value (setval): the next NextVal returns v +
// increment when isCalled, else v. The write is durable before it returns.
func (ts *TableStore) SetVal(seqOID uint32, v int64, isCalled bool) error {
	ts.seqMu.Lock()
	defer ts.seqMu.Unlock()
	s, err := ts.loadSequenceLocked(seqOID)
	if err != nil {
		return err
	}
	if v < s.opts.Min || v > s.opts.Max {
		return types.Errorf(types.CodeNumericValueOutOfRange, "setval: value %d is out of bounds for sequence \"%s\" (%d..%d)", v, s.opts.Name, s.opts.Min, s.opts.Max)
	}
	next := *s
	next.last, next.isCalled, next.hasReserve = v, isCalled, false
	if err := ts.writeSequence(seqOID, next.record(true)); err != nil {
		return err
	}
	*s = next
	return nil
}

// persistSequencesClean writes the exact state of every loaded sequence.
func (ts *TableStore) persistSequencesClean() error {
	ts.seqMu.Lock()
	defer ts.seqMu.Unlock()
	var err error
	for oid, s := range ts.seqMu.seqs {
		if s.hasReserve {
			err = errors.CombineErrors(err, ts.writeSequence(oid, s.record(true)))
		}
	}
	return err
}

// addInt64 returns a+b and whether it overflowed.
func addInt64(a, b int64) (int64, bool) {
	s := a + b
	return s, (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0)
}
