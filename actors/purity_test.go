package actors_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Cores (actors/*/core*.go) must stay deterministic: no clocks, goroutines, I/O, locks or global
// randomness. This scan is the tripwire; review any change to these lists.
var (
	bannedImports = []string{
		"github.com/asynkron/protoactor-go", "github.com/nats-io", "go.etcd.io/bbolt", "github.com/libp2p",
		"github.com/pion", "net", "os", "io/fs", "sync", "math/rand", "crypto/rand", "time/tzdata",
		"github.com/meshhold/meshhold/persist/boltdb", "github.com/meshhold/meshhold/persist/blockstore",
		"github.com/meshhold/meshhold/bus/natsbus", "github.com/meshhold/meshhold/p2p/mesh",
	}
	bannedCalls = map[string]bool{
		"time.Now": true, "time.Since": true, "time.Until": true, "time.Sleep": true, "time.After": true,
		"time.AfterFunc": true, "time.NewTimer": true, "time.NewTicker": true, "time.Tick": true,
	}
)

// impurities lists what makes the Go file at path unfit to be a core.
func impurities(t *testing.T, path string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		for _, b := range bannedImports {
			if p == b || strings.HasPrefix(p, b+"/") {
				found = append(found, fmt.Sprintf("%s: imports %s", fset.Position(imp.Pos()), p))
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			found = append(found, fmt.Sprintf("%s: go statement", fset.Position(n.Pos())))
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok && bannedCalls[id.Name+"."+n.Sel.Name] {
				found = append(found, fmt.Sprintf("%s: calls %s.%s", fset.Position(n.Pos()), id.Name, n.Sel.Name))
			}
		}
		return true
	})
	return found
}

func TestCoresArePure(t *testing.T) {
	files, err := filepath.Glob("*/core*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		for _, msg := range impurities(t, f) {
			t.Error(msg)
		}
	}
}

// The scan catches a planted clock read, goroutine and random number.
func TestPurityScanCatchesPlantedImpurities(t *testing.T) {
	found := strings.Join(impurities(t, "testdata/core_planted.go.txt"), "\n")
	for _, want := range []string{"calls time.Now", "go statement", "imports math/rand", "imports os"} {
		if !strings.Contains(found, want) {
			t.Errorf("the scan missed %q; it found:\n%s", want, found)
		}
	}
}
