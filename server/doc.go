// Package server wires streamdb together: it opens the state stores and the
// catalog, listens for pgwire and HTTP connections, and implements
// pgwire.Backend with sessions that parse, plan and run statements. It is
// the only package that imports every other one; only cmd/streamdb imports
// it.
package server
