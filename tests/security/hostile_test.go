package security

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHostileTraffic: many concurrent connections send garbage (random
// bytes, truncated frames, bogus lengths up to 2 GiB, a TLS ClientHello on
// the plain port, half-open connections) while healthy sessions keep
// running queries without a single error. Afterwards the server's
// goroutines and heap come back to their baseline. Bounded: 400 hostile
// connections, 32 at a time, each with a 5 s deadline, loopback only.
func TestHostileTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile traffic test skipped in -short mode")
	}
	srv := startServer(t, setting("authentication_timeout", "2s"))
	admin := mustConnect(t, srv, "streamdb", "")
	mustExec(t, admin, "CREATE TABLE kv (k int PRIMARY KEY, v text)")
	mustExec(t, admin, "INSERT INTO kv SELECT g, 'value ' || g FROM generate_series(1, 1000) g")

	const healthySessions = 4
	healthy := make([]*pgxConnT, healthySessions)
	for i := range healthy {
		healthy[i] = &pgxConnT{conn: mustConnect(t, srv, "streamdb", "")}
	}
	// Warm up, then take the baseline with the healthy sessions idle.
	for _, h := range healthy {
		h.query(t)
	}
	baseGoroutines, baseHeap := settle()

	ctx, stop := context.WithCancel(context.Background())
	var queries atomic.Int64
	var healthyWG sync.WaitGroup
	healthyErrs := make(chan error, healthySessions)
	for _, h := range healthy {
		healthyWG.Add(1)
		go func() {
			defer healthyWG.Done()
			for ctx.Err() == nil {
				if err := h.queryErr(); err != nil {
					healthyErrs <- err
					return
				}
				queries.Add(1)
			}
		}()
	}

	attacks := []func(net.Conn, *rand.Rand){
		attackRandomBytes,
		attackRandomAfterStartup,
		attackTruncatedFrame,
		attackHugeStartupLength,
		attackHugeMessageLength,
		attackTLSHelloOnPlainPort,
		attackHalfOpen,
		attackBogusSmallLengths,
	}
	const hostile, parallel = 400, 32
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range hostile {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			nc, err := net.DialTimeout("tcp", srv.PGAddr(), 5*time.Second)
			if err != nil {
				return // the listener may push back under load; not a failure
			}
			defer nc.Close()
			_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
			attacks[i%len(attacks)](nc, rng)
		}()
	}
	wg.Wait()
	stop()
	healthyWG.Wait()
	close(healthyErrs)
	for err := range healthyErrs {
		t.Errorf("healthy session failed during the hostile traffic: %v", err)
	}
	if queries.Load() == 0 {
		t.Fatal("healthy sessions ran no queries")
	}
	t.Logf("healthy sessions ran %d queries during %d hostile connections", queries.Load(), hostile)
	for _, h := range healthy {
		h.query(t) // still alive
	}

	// Goroutines and heap return to the baseline (the server ends every
	// hostile connection; allow some slack for runtime helpers).
	deadline := time.Now().Add(15 * time.Second)
	var goroutines int
	var heap uint64
	for {
		goroutines, heap = settle()
		if goroutines <= baseGoroutines+5 && heap <= baseHeap+baseHeap/2+16<<20 {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("after the hostile traffic: %d goroutines (baseline %d), heap %d (baseline %d)\n%s",
				goroutines, baseGoroutines, heap, baseHeap, buf[:n])
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("goroutines %d (baseline %d), heap %d KiB (baseline %d KiB)", goroutines, baseGoroutines, heap>>10, baseHeap>>10)
}

// settle runs the GC and returns the goroutine count and live heap.
func settle() (int, uint64) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return runtime.NumGoroutine(), ms.HeapAlloc
}

// drain reads whatever the server sends until it closes or the deadline.
func drain(nc net.Conn) { _, _ = io.Copy(io.Discard, nc) }

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func attackRandomBytes(nc net.Conn, rng *rand.Rand) {
	_, _ = nc.Write(randomBytes(rng, 1+rng.IntN(4096)))
	drain(nc)
}

func attackRandomAfterStartup(nc net.Conn, rng *rand.Rand) {
	_, _ = nc.Write(startupMessage("streamdb"))
	_, _ = nc.Write(randomBytes(rng, 1+rng.IntN(4096)))
	drain(nc)
}

// attackTruncatedFrame declares a Query longer than what it sends, then
// hangs up mid-frame.
func attackTruncatedFrame(nc net.Conn, rng *rand.Rand) {
	_, _ = nc.Write(startupMessage("streamdb"))
	frame := []byte{'Q'}
	frame = binary.BigEndian.AppendUint32(frame, uint32(100+rng.IntN(1000)))
	frame = append(frame, "SELECT 1"...)
	_, _ = nc.Write(frame)
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	drain(nc)
}

func attackHugeStartupLength(nc net.Conn, rng *rand.Rand) {
	_, _ = nc.Write(binary.BigEndian.AppendUint32(nil, 0x7fffffff))
	_, _ = nc.Write(randomBytes(rng, 64))
	drain(nc)
}

// attackHugeMessageLength declares a 2 GiB message after a valid startup:
// the server must refuse it (08P01) without allocating it.
func attackHugeMessageLength(nc net.Conn, rng *rand.Rand) {
	_, _ = nc.Write(startupMessage("streamdb"))
	frame := []byte{"QPBd"[rng.IntN(4)]}
	frame = binary.BigEndian.AppendUint32(frame, 0x7fffffff)
	_, _ = nc.Write(frame)
	_, _ = nc.Write(randomBytes(rng, 1024))
	drain(nc)
}

func attackTLSHelloOnPlainPort(nc net.Conn, _ *rand.Rand) {
	tc := tls.Client(nc, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"})
	_ = tc.Handshake()
	drain(nc)
}

// attackHalfOpen sends part of a startup packet and goes silent; the
// authentication timeout (or our deadline) ends it.
func attackHalfOpen(nc net.Conn, rng *rand.Rand) {
	msg := startupMessage("streamdb")
	_, _ = nc.Write(msg[:1+rng.IntN(len(msg)-1)])
	drain(nc)
}

func attackBogusSmallLengths(nc net.Conn, rng *rand.Rand) {
	_, _ = nc.Write(startupMessage("streamdb"))
	for range 20 {
		frame := []byte{byte(rng.Uint32())}
		frame = binary.BigEndian.AppendUint32(frame, uint32(rng.IntN(8))) // 0..7: below the minimum of 4 for some
		_, _ = nc.Write(frame)
	}
	drain(nc)
}
