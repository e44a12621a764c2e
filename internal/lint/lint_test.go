package lint

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/streamdb/streamdb"

// layerRule lists the packages of ours a package may import directly,
// as module-relative path prefixes. A package also may import anything in
// its own subtree (sql/exec/agg may import sql/exec). Checking direct
// imports is enough: each allowed import is itself checked, so the rule
// holds transitively in the direction DESIGN.md draws.
type layerRule struct {
	pkg     string   // module-relative prefix the rule applies to
	mayUse  []string // module-relative prefixes
	anyDeps bool     // server, tests and benchmarks may import everything
}

// layerRules is DESIGN.md section 2's table, plus the packages it leaves
// implicit (sql/builtins, sql/parser, cmd). The longest matching pkg wins.
var layerRules = []layerRule{
	{pkg: "internal", mayUse: []string{"internal"}},
	{pkg: "sql/types", mayUse: []string{"internal"}},
	{pkg: "sql/builtins", mayUse: []string{"sql/types", "internal"}},
	{pkg: "sql/parser", mayUse: []string{"sql/types", "internal"}},
	{pkg: "state", mayUse: []string{"sql/types", "internal"}},
	{pkg: "catalog", mayUse: []string{"sql/types", "sql/builtins", "state", "internal"}},
	{pkg: "sources", mayUse: []string{"sql/types", "internal"}},
	{pkg: "sinks", mayUse: []string{"sql/types", "internal"}},
	{pkg: "sql/planner", mayUse: []string{"catalog", "sql/types", "sql/parser", "sql/builtins", "internal"}},
	{pkg: "sql/exec", mayUse: []string{"sql/planner", "state", "sources", "sinks", "sql/types", "sql/builtins", "internal"}},
	{pkg: "checkpoint", mayUse: []string{"state", "sql/types", "internal"}},
	{pkg: "pgwire", mayUse: []string{"sql/types", "internal"}},
	// bench/nexmark: `streamdb bench nexmark` (issue 8) drives the server as
	// a child process; the harness imports nothing of ours but test code.
	{pkg: "cmd/streamdb", mayUse: []string{"server", "internal", "bench/nexmark"}},
	{pkg: "server", anyDeps: true},
	{pkg: "tests", anyDeps: true},
	{pkg: "bench", anyDeps: true},
}

// hasPathPrefix reports whether rel is prefix or inside it.
func hasPathPrefix(rel, prefix string) bool {
	return rel == prefix || strings.HasPrefix(rel, prefix+"/")
}

func ruleFor(rel string) (layerRule, bool) {
	best, found := layerRule{}, false
	for _, r := range layerRules {
		if hasPathPrefix(rel, r.pkg) && len(r.pkg) > len(best.pkg) {
			best, found = r, true
		}
	}
	return best, found
}

// listedPackage is the part of `go list -json` output we read.
type listedPackage struct {
	Dir        string
	ImportPath string
	Name       string
	GoFiles    []string
	CgoFiles   []string
	Imports    []string
	Error      *struct{ Err string }
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	return root
}

// listPackages runs `go list -e -json` over the whole module. -e keeps
// going past packages that do not build: their own tests report that.
func listPackages(t *testing.T) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json", module+"/...")
	cmd.Dir = moduleRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

func relPath(importPath string) string {
	return strings.TrimPrefix(strings.TrimPrefix(importPath, module), "/")
}

func TestDependencyDirection(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := relPath(p.ImportPath)
		rule, ok := ruleFor(rel)
		if !ok {
			t.Errorf("package %s is not in the layer table of internal/lint (DESIGN.md section 2): add it", rel)
			continue
		}
		if rule.anyDeps {
			continue
		}
		for _, imp := range p.Imports {
			if !hasPathPrefix(imp, module) {
				continue
			}
			impRel := relPath(imp)
			if hasPathPrefix(impRel, rule.pkg) {
				continue
			}
			allowed := false
			for _, m := range rule.mayUse {
				if hasPathPrefix(impRel, m) {
					allowed = true
					break
				}
			}
			if !allowed {
				t.Errorf("%s imports %s; %s may import only %v (DESIGN.md section 2)", rel, impRel, rule.pkg, rule.mayUse)
			}
		}
	}
}

// TestErrorsPackage forbids the standard errors package and fmt.Errorf in
// non-test code: errors are built with github.com/cockroachdb/errors (stack
// traces, markers, safe details) and sql/types' SQLSTATE helpers.
func TestErrorsPackage(t *testing.T) {
	fset := token.NewFileSet()
	for _, p := range listPackages(t) {
		files := append(append([]string(nil), p.GoFiles...), p.CgoFiles...)
		for _, name := range files {
			path := filepath.Join(p.Dir, name)
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Errorf("parsing %s: %v", path, err)
				continue
			}
			fmtName := ""
			for _, imp := range f.Imports {
				ipath, _ := strconv.Unquote(imp.Path.Value)
				switch ipath {
				case "errors":
					t.Errorf("%s imports the standard errors package; use github.com/cockroachdb/errors", fset.Position(imp.Pos()))
				case "fmt":
					fmtName = "fmt"
					if imp.Name != nil {
						fmtName = imp.Name.Name
					}
				}
			}
			if fmtName == "" || fmtName == "_" {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "Errorf" {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == fmtName {
					t.Errorf("%s uses fmt.Errorf; use errors.Newf/Wrapf from github.com/cockroachdb/errors or types.Errorf", fset.Position(sel.Pos()))
				}
				return true
			})
		}
	}
}

// TestDocFiles requires a doc.go in every package: the package comment is
// where a reader starts.
func TestDocFiles(t *testing.T) {
	var missing []string
	for _, p := range listPackages(t) {
		if _, err := os.Stat(filepath.Join(p.Dir, "doc.go")); err != nil {
			missing = append(missing, relPath(p.ImportPath))
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("package %s has no doc.go", m)
	}
}
