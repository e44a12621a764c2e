package builtins

import (
	"hash/fnv"
	"sort"
	"sync"

	"github.com/streamdb/streamdb/sql/types"
)

// binder specialises a polymorphic or "any"-typed overload once resolution
// knows the concrete argument types: the returned Fn may close over them
// (concat, format and pg_typeof need the types, which Datums do not carry).
type binder func(args []*types.T, ret *types.T) Fn

// registryTable is every builtin, built once and never modified afterwards.
type registryTable struct {
	funcs   map[string][]*Overload // by function name
	binOps  map[string][]*Overload // infix operators by symbol
	unOps   map[string][]*Overload // prefix operators by symbol
	binders map[*Overload]binder
	aggs    map[string][]*AggOverload
	wins    map[string][]*WindowOverload
	// all holds the function overloads in OID order (pg_proc).
	all []*Overload
	ops []*Overload
	// specs memoises specialised polymorphic overloads (see specialise):
	// the only part that changes after the build, and only by adding
	// entries that are a pure function of their key.
	specs sync.Map // specKey -> *Overload
}

// registryBuilder collects overloads while the table is being built.
type registryBuilder struct {
	t    *registryTable
	used map[uint32]bool
	// procOids and operOids are Postgres's own OIDs for the signatures we
	// share with it (pg_oids.go).
	procOids, operOids map[string]uint32
}

// Overloads Postgres also has get its OID (pg_oids.go, all below 9000).
// The others get one in [firstGeneratedOid,
// firstGeneratedOid+generatedOidSpan), derived from a hash of the signature
// so that adding a function does not renumber the others. The range stays
// below 16384, where Postgres starts numbering user objects.
const (
	firstGeneratedOid = 9000
	generatedOidSpan  = 7000
)

// registryOnce builds the table on first use. It is assigned in init
// because the builtins refer back to the table (regproc output), which a
// package-level initialiser would reject as a cycle; it is never reassigned.
var registryOnce func() *registryTable

func init() { registryOnce = sync.OnceValue(buildRegistry) }

func registry() *registryTable { return registryOnce() }

func buildRegistry() *registryTable {
	b := &registryBuilder{
		t: &registryTable{
			funcs:   map[string][]*Overload{},
			binOps:  map[string][]*Overload{},
			unOps:   map[string][]*Overload{},
			binders: map[*Overload]binder{},
			aggs:    map[string][]*AggOverload{},
			wins:    map[string][]*WindowOverload{},
		},
		used:     map[uint32]bool{},
		procOids: pgProcOids(),
		operOids: pgOperatorOids(),
	}
	registerOperators(b)
	registerStringFuncs(b)
	registerMathFuncs(b)
	registerDatetimeFuncs(b)
	registerToChar(b)
	registerJSONFuncs(b)
	registerArrayFuncs(b)
	registerSysFuncs(b)
	registerMiscFuncs(b)
	registerExtraFuncs(b)
	registerSRFs(b)
	registerAggregates(b)
	registerWindows(b)
	registerProctime(b)      // proctime.go
	registerAdvisoryLocks(b) // advisory.go
	registerUUIDFuncs(b)     // uuid.go
	registerNotify(b)        // notify.go
	sort.SliceStable(b.t.all, func(i, j int) bool { return b.t.all[i].Oid < b.t.all[j].Oid })
	return b.t
}

func (b *registryBuilder) oid(o *Overload, real map[string]uint32) {
	if o.Oid != 0 {
		b.used[o.Oid] = true
		return
	}
	sig := o.Name + "(" + typeNames(o.Args)
	if o.Variadic == nil {
		if oid, ok := real[sig+")"]; ok && !b.used[oid] {
			b.used[oid] = true
			o.Oid = oid
			return
		}
	} else {
		sig += ", variadic " + o.Variadic.Name()
	}
	h := fnv.New32a()
	h.Write([]byte(sig + ")"))
	oid := firstGeneratedOid + h.Sum32()%generatedOidSpan
	for b.used[oid] {
		oid++
		if oid >= firstGeneratedOid+generatedOidSpan {
			oid = firstGeneratedOid
		}
	}
	b.used[oid] = true
	o.Oid = oid
}

// fn registers a function overload.
func (b *registryBuilder) fn(o *Overload) *Overload {
	b.oid(o, b.procOids)
	b.t.funcs[o.Name] = append(b.t.funcs[o.Name], o)
	b.t.all = append(b.t.all, o)
	return o
}

// fnBound registers a function overload whose Fn is built per resolution.
func (b *registryBuilder) fnBound(o *Overload, bind binder) *Overload {
	b.fn(o)
	b.t.binders[o] = bind
	return o
}

// op registers an operator overload (one argument: prefix operator).
func (b *registryBuilder) op(o *Overload) *Overload {
	b.oid(o, b.operOids)
	if len(o.Args) == 1 {
		b.t.unOps[o.Name] = append(b.t.unOps[o.Name], o)
	} else {
		b.t.binOps[o.Name] = append(b.t.binOps[o.Name], o)
	}
	b.t.ops = append(b.t.ops, o)
	return o
}

func (b *registryBuilder) opBound(o *Overload, bind binder) *Overload {
	b.op(o)
	b.t.binders[o] = bind
	return o
}

func (b *registryBuilder) agg(name string, kind AggKind, ret *types.T, args ...*types.T) {
	b.t.aggs[name] = append(b.t.aggs[name], &AggOverload{Name: name, Kind: kind, Args: args, Ret: ret})
}

func (b *registryBuilder) win(name string, kind WindowKind, ret *types.T, args ...*types.T) {
	b.t.wins[name] = append(b.t.wins[name], &WindowOverload{Name: name, Kind: kind, Args: args, Ret: ret})
}

// Functions returns every function overload (operators excluded; see
// Operators), in OID order, for pg_proc. The overloads are shared: do not
// modify them.
func Functions() []*Overload { return registry().all }

// Operators returns every operator overload, for pg_operator.
func Operators() []*Overload { return registry().ops }

// IsAggregate reports whether name is an aggregate function.
func IsAggregate(name string) bool {
	_, ok := registry().aggs[name]
	return ok
}

// IsWindowFunction reports whether name is a window-only function (row_number,
// rank, lag...). Aggregates may also be used with OVER; see IsAggregate.
func IsWindowFunction(name string) bool {
	_, ok := registry().wins[name]
	return ok
}

// args is shorthand for a signature.
func args(ts ...*types.T) []*types.T { return ts }
