// Package durability checks the promise that an acknowledged write is never
// lost, kill -9 included (DESIGN.md section 4): it builds the streamdb
// binary, writes through pgx while killing the process with SIGKILL, and
// checks after every restart that each acknowledged row is there.
package durability
