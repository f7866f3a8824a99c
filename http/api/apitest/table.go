// Package apitest checks a route list against the documented route table
// (docs/endpoints.tsv and docs/api-extensions.tsv), by walking the router and by real requests.
package apitest

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/meshhold/meshhold/http/api"
)

// Row is one documented route.
type Row struct {
	Method  string
	Path    string // as documented: /vaults/:vault_id/files/*path
	Pattern string // as chi writes it: /vaults/{vault_id}/files/*
	Theme   string
	Access  api.Access
	Source  string // file:line
}

// Table holds documented routes by Key.
type Table map[string]Row

// Key identifies a route by method and chi pattern.
func Key(method, pattern string) string { return method + " " + pattern }

// LoadTable reads TSV files with the columns method, path, theme, access and a header row.
// A route documented twice, or with an unknown access rule, is an error.
func LoadTable(paths ...string) (Table, error) {
	t := Table{}
	for _, path := range paths {
		if err := t.load(path); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// load adds the rows of one file.
func (t Table) load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || n == 1 && strings.HasPrefix(line, "method\t") {
			continue
		}
		cols := strings.Split(line, "\t")
		where := fmt.Sprintf("%s:%d", path, n)
		if len(cols) != 4 {
			return fmt.Errorf("%s: want 4 tab-separated columns (method, path, theme, access), got %d", where, len(cols))
		}
		row := Row{Method: cols[0], Path: cols[1], Pattern: ChiPattern(cols[1]), Theme: cols[2], Access: api.Access(cols[3]), Source: where}
		if !row.Access.Valid() {
			return fmt.Errorf("%s: access %q is not one of %v", where, row.Access, api.Accesses)
		}
		if prev, dup := t[Key(row.Method, row.Pattern)]; dup {
			return fmt.Errorf("%s: %s %s is already documented at %s", where, row.Method, row.Path, prev.Source)
		}
		t[Key(row.Method, row.Pattern)] = row
	}
	return sc.Err()
}

var (
	docParam = regexp.MustCompile(`/:([A-Za-z0-9_]+)`)
	docWild  = regexp.MustCompile(`/\*[A-Za-z0-9_]*$`)
	chiParam = regexp.MustCompile(`/\{([A-Za-z0-9_]+)(:[^}]*)?\}`)
)

// ChiPattern converts a documented path to chi's form: :x becomes {x}, a final *path becomes *.
func ChiPattern(doc string) string {
	return docWild.ReplaceAllString(docParam.ReplaceAllString(doc, "/{$1}"), "/*")
}

// DocPath converts a chi pattern to the documented form: {x} becomes :x, a final * becomes *path.
func DocPath(pattern string) string {
	p := chiParam.ReplaceAllString(pattern, "/:$1")
	if strings.HasSuffix(p, "/*") {
		p += "path"
	}
	return p
}
