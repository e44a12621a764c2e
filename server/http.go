package server

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewMetricsRegistry returns the server's own Prometheus registry with the Go
// runtime and process collectors registered. The server owns it (no global
// registry), so two servers in one test process do not share metrics.
func NewMetricsRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// NewHTTPHandler serves the HTTP endpoints:
//
//	/healthz  200 "ok" while healthy (nil healthy means always healthy), 503 with the reason otherwise
//	/metrics  the registry in the Prometheus text format
//	/         a small index page
func NewHTTPHandler(reg *prometheus.Registry, healthy func() error) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if healthy != nil {
			if err := healthy(); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, err.Error()+"\n")
				return
			}
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, indexPage(r.Host))
	})
	return mux
}

// indexPage is the placeholder dashboard: links to what exists today.
func indexPage(host string) string {
	return `<!doctype html>
<html><head><meta charset="utf-8"><title>streamdb</title></head>
<body>
<h1>streamdb</h1>
<p>Serving ` + html.EscapeString(host) + `. The dashboard is not built yet.</p>
<ul>
<li><a href="/metrics">/metrics</a> (Prometheus)</li>
<li><a href="/healthz">/healthz</a></li>
</ul>
</body></html>
`
}

// newHTTPServer listens on addr and returns a server ready for
// srv.Serve(ln). The caller owns both: Serve in a goroutine, and
// srv.Shutdown (or Close) on the way out. healthy may be nil.
func newHTTPServer(addr string, reg *prometheus.Registry, healthy func() error, logger *slog.Logger) (*http.Server, net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, errors.Wrapf(err, "listening for HTTP on %s", addr)
	}
	srv := &http.Server{
		Handler:           NewHTTPHandler(reg, healthy),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.Background() },
	}
	return srv, ln, nil
}
