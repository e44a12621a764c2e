package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

func TestHTTPHandler(t *testing.T) {
	h := NewHTTPHandler(NewMetricsRegistry(), nil)
	if code, body := get(t, h, "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get(t, h, "/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") || !strings.Contains(body, "process_") {
		t.Errorf("/metrics = %d, missing Go/process collectors:\n%.500s", code, body)
	}
	if code, body := get(t, h, "/"); code != 200 || !strings.Contains(body, "/metrics") {
		t.Errorf("/ = %d %q", code, body)
	}
	if code, _ := get(t, h, "/nope"); code != 404 {
		t.Errorf("/nope = %d, want 404", code)
	}

	sick := NewHTTPHandler(NewMetricsRegistry(), func() error { return errors.New("restoring checkpoint") })
	if code, body := get(t, sick, "/healthz"); code != 503 || !strings.Contains(body, "restoring") {
		t.Errorf("unhealthy /healthz = %d %q", code, body)
	}
}

func TestNewHTTPServerListens(t *testing.T) {
	srv, ln, err := newHTTPServer("127.0.0.1:0", NewMetricsRegistry(), nil, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
}
