// Package lint holds tests that enforce project rules no compiler checks:
// the package dependency direction of DESIGN.md section 2, the use of
// github.com/cockroachdb/errors instead of the standard errors package and
// fmt.Errorf, and a doc.go in every package. It has no non-test code.
package lint
