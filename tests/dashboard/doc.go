// Package dashboard tests the web dashboard of a running server: the
// /api/status JSON, and the page itself in headless Chromium (Debian
// package chromium, installed by make test-deps), which must render the
// running materialized view and a non-blank screenshot.
package dashboard
