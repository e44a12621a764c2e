package exec

// keyedState is an operator's keyed state: values by encoded key. It is the
// seam where state moves from Go maps to the state store later; for now
// every operator uses memState, which looks keys up without allocating.
type keyedState[V any] interface {
	Get(key []byte) (V, bool)
	// Put stores v under key. Values are usually pointers, so that updating
	// an entry needs no second Put.
	Put(key string, v V)
	Delete(key []byte)
	Len() int
	// Range calls fn for every entry, in no particular order, until fn
	// returns false.
	Range(fn func(key string, v V) bool)
}

// memState is keyedState over a Go map.
type memState[V any] struct {
	m map[string]V
}

func newMemState[V any]() *memState[V] { return &memState[V]{m: make(map[string]V)} }

// take hands out the next element of a block of Ts, allocating blocks of
// 256: state objects are created per key, and one allocation per key adds
// up.
func take[T any](block *[]T) *T {
	if len(*block) == 0 {
		*block = make([]T, 256)
	}
	p := &(*block)[0]
	*block = (*block)[1:]
	return p
}

func (s *memState[V]) Get(key []byte) (V, bool) {
	v, ok := s.m[string(key)]
	return v, ok
}

func (s *memState[V]) Put(key string, v V) { s.m[key] = v }

func (s *memState[V]) Delete(key []byte) { delete(s.m, string(key)) }

func (s *memState[V]) Len() int { return len(s.m) }

func (s *memState[V]) Range(fn func(key string, v V) bool) {
	for k, v := range s.m {
		if !fn(k, v) {
			return
		}
	}
}
