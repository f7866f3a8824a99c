package configfile

import (
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// TestShapes replaces values of every layout with values of every kind: each edit must
// succeed (commit refuses any that reads back wrong), give the new value, and keep the
// other keys and every comment outside the old value.
func TestShapes(t *testing.T) {
	olds := map[string]string{
		"plain":           "k: old # c1\n",
		"quoted":          "k: \"old\" # c1\n",
		"empty":           "k:\n",
		"empty+comment":   "k: # c1\n",
		"null":            "k: null # c1\n",
		"flow list":       "k: [a, b] # c1\n",
		"flow map":        "k: {a: 1} # c1\n",
		"block list":      "k: # c1\n  # c2\n  - a # c3\n  - b\n",
		"compact list":    "k:\n- a\n- b\n",
		"block map":       "k:\n  # c2\n  a: 1\n  b:\n    c: 2\n",
		"literal":         "k: |\n  one\n  two\n",
		"literal+comment": "k: |- # c1\n  one\n  two\n",
		"multi-line":      "k: one\n  two\n",
		"next line":       "k:\n  old\n",
		"anchor":          "k: &x\n  a: 1\n",
		"tagged":          "k: !!str 5 # c1\n",
	}
	news := map[string]any{
		"string":    "0.0.0.0:8080",
		"quoted":    "a: b #c",
		"number":    42,
		"bool":      true,
		"null":      nil,
		"list":      []string{"x", "y"},
		"empty":     []string{},
		"map":       map[string]any{"x": 1, "y": []any{"z"}},
		"nested":    []map[string]any{{"id": "a", "tags": []string{"t"}}},
		"multiline": "/key/swarm/psk/1.0.0/\n/base16/\nabc\n",
		"no eol":    "line one\nline two",
	}
	for oname, old := range olds {
		for nname, val := range news {
			for _, where := range []string{"top", "nested", "item"} {
				src := "# head\n\nbefore: 1 # b\n\n" + old + "after: 2 # a\n"
				path := []string{"k"}
				switch where {
				case "nested":
					src = "# head\nouter:\n  before: 1 # b\n" + indent(old, "  ") + "  after: 2 # a\nlast: 3\n"
					path = []string{"outer", "k"}
				case "item":
					src = "list:\n  - id: a\n" + indent(old, "    ") + "    after: 2 # a\n"
				}
				f, err := Parse("c.yaml", []byte(src))
				if err != nil {
					t.Fatalf("%s: %v", oname, err)
				}
				if where == "item" {
					err = f.SetListItem([]string{"list"}, "id", "a", map[string]any{"k": val})
				} else {
					err = f.Set(path, val)
				}
				if err != nil {
					t.Errorf("%s → %s (%s): %v\n%s", oname, nname, where, err, src)
					continue
				}
				out := string(f.Bytes())
				var doc map[string]any
				if err := yaml.Unmarshal(f.Bytes(), &doc); err != nil {
					t.Fatal(err)
				}
				got, _ := lookupPath(doc, strings.Join(path, "."))
				if where == "item" {
					got = doc["list"].([]any)[0].(map[string]any)["k"]
				}
				if !reflect.DeepEqual(canon(got), canon(mustNormalize(t, val))) {
					t.Errorf("%s → %s (%s): got %#v\n%s", oname, nname, where, got, out)
				}
				for _, c := range []string{"# head", "# b", "# a"} {
					if strings.Contains(src, c) && !strings.Contains(out, c) {
						t.Errorf("%s → %s (%s): lost %q\n%s", oname, nname, where, c, out)
					}
				}
				if strings.Contains(old, "# c1") && nname != "multiline" && nname != "no eol" &&
					!strings.HasPrefix(oname, "literal") && !strings.Contains(out, "# c1") {
					t.Errorf("%s → %s (%s): lost the key line's comment\n%s", oname, nname, where, out)
				}
			}
		}
	}
}

func indent(s, pad string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "")
}

func mustNormalize(t *testing.T, v any) any {
	t.Helper()
	n, err := normalize(v)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
