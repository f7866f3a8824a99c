package configfile

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected files in testdata/")

const swarmKey = "/key/swarm/psk/1.0.0/\n/base16/\n0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"

// goldenCases edit testdata/config.yaml; each result must equal testdata/<name>.yaml and
// keep every comment line of the input except those listed as removed.
var goldenCases = []struct {
	name    string
	edit    func(f *File) error
	removed []string       // comment lines the edit removes on purpose
	want    map[string]any // values the result must decode to, by dotted path
}{
	{
		name: "set",
		edit: func(f *File) error {
			return all(
				f.Set([]string{"api", "bind"}, "0.0.0.0:8080"),
				f.Set([]string{"api", "cert_file"}, "/etc/meshhold/cert.pem"),
				f.Set([]string{"swarm_key"}, swarmKey),
				f.Set([]string{"bootstrap_peers"}, []string{"/ip4/198.51.100.1/tcp/4001/p2p/12D3KooWC", "/dns4/nas.example/tcp/4001"}),
				f.Set([]string{"webhooks"}, []map[string]any{{"token": "t0k3n", "room_id": "general"}}),
				f.Set([]string{"bus", "listener", "token"}, "bus-secret"),
				f.Set([]string{"node_name"}, "yes"),
			)
		},
		removed: []string{"# home server"},
		want: map[string]any{
			"api.bind":           "0.0.0.0:8080",
			"api.tls":            "auto",
			"api.cert_file":      "/etc/meshhold/cert.pem",
			"swarm_key":          swarmKey,
			"bootstrap_peers":    []any{"/ip4/198.51.100.1/tcp/4001/p2p/12D3KooWC", "/dns4/nas.example/tcp/4001"},
			"webhooks":           []any{map[string]any{"token": "t0k3n", "room_id": "general"}},
			"bus.listener.token": "bus-secret",
			"node_name":          "yes",
			"vaults":             nil, // unchanged: checked against the input below
		},
	},
	{
		name: "delete",
		edit: func(f *File) error {
			return all(
				f.Delete([]string{"node_name"}),
				f.Delete([]string{"api", "tls"}),
				f.Delete([]string{"webhooks"}),
			)
		},
		removed: []string{"# How this node is called on the mesh.", "# shown to peers",
			"# Self-signed pair on first start unless cert_file/key_file are set.", "# none yet"},
		want: map[string]any{"node_name": absent, "api.tls": absent, "webhooks": absent, "api.bind": "127.0.0.1:8080"},
	},
	{
		name: "list",
		edit: func(f *File) error {
			return all(
				f.SetListItem([]string{"vaults"}, "id", "v2", map[string]any{"name": "Documents", "policy": map[string]any{"keep_versions": 5}}),
				f.SetListItem([]string{"vaults"}, "id", "v3", map[string]any{"folder": "~/Music", "name": "Music"}),
				f.DeleteListItem([]string{"vaults"}, "id", "v1"),
				f.SetListItem([]string{"webhooks"}, "token", "t0k3n", map[string]any{"room_id": "general"}),
				f.SetListItem([]string{"forwards"}, "id", "f1", map[string]any{"listen": "127.0.0.1:2222", "target": "peer:22"}),
			)
		},
		removed: []string{"# Family photos, kept on three nodes.", "# at least"},
		want: map[string]any{
			"vaults": []any{
				map[string]any{"id": "v2", "name": "Documents", "folder": "~/Docs", "policy": map[string]any{"keep_versions": uint64(5)}},
				map[string]any{"id": "v3", "name": "Music", "folder": "~/Music"},
			},
			"webhooks": []any{map[string]any{"token": "t0k3n", "room_id": "general"}},
			"forwards": []any{map[string]any{"id": "f1", "listen": "127.0.0.1:2222", "target": "peer:22"}},
		},
	},
}

// absent marks a path that must not exist.
var absent = &struct{}{}

func all(errs ...error) error { return errors.Join(errs...) }

func TestGolden(t *testing.T) {
	input, err := os.ReadFile("testdata/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var before map[string]any
	if err := yaml.Unmarshal(input, &before); err != nil {
		t.Fatal(err)
	}
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("config.yaml", input)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.edit(f); err != nil {
				t.Fatal(err)
			}
			got := f.Bytes()
			golden := filepath.Join("testdata", tc.name+".yaml")
			if *rewrite {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -rewrite to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("result differs from %s (run with -rewrite and review the diff):\n%s", golden, got)
			}
			for _, c := range commentLines(input) {
				if !slicesContains(tc.removed, c) && !bytes.Contains(got, []byte(c)) {
					t.Errorf("comment %q was lost", c)
				}
			}
			var after map[string]any
			if err := yaml.Unmarshal(got, &after); err != nil {
				t.Fatalf("result does not parse: %v", err)
			}
			for path, w := range tc.want {
				v, ok := lookupPath(after, path)
				switch {
				case w == absent:
					if ok {
						t.Errorf("%s is still there: %#v", path, v)
					}
				case w == nil: // unchanged
					if old, _ := lookupPath(before, path); !reflect.DeepEqual(v, old) {
						t.Errorf("%s changed: %#v, was %#v", path, v, old)
					}
				case !reflect.DeepEqual(v, w):
					t.Errorf("%s = %#v, want %#v", path, v, w)
				}
			}
		})
	}
}

// commentLines lists the comments of data (from '#' to the line end), trimmed.
func commentLines(data []byte) []string {
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.Index(line, "#"); i >= 0 && !strings.Contains(line[:i], "'") {
			out = append(out, strings.TrimSpace(line[i:]))
		}
	}
	return out
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// lookupPath follows a dotted path through decoded mappings.
func lookupPath(v any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

func TestEmptiedCollections(t *testing.T) {
	src := "# head\nvaults: # held here\n  # the only vault\n  - id: v1\n    name: 'One'\n\napi:\n  # where to listen\n  bind: x # b\n\nlast: 1\n"
	f, err := Parse("c.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := all(f.DeleteListItem([]string{"vaults"}, "id", "v1"), f.Delete([]string{"api", "bind"})); err != nil {
		t.Fatal(err)
	}
	want := "# head\nvaults: [] # held here\n\napi: {}\n\nlast: 1\n"
	if got := string(f.Bytes()); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestMergeKeepsUnchangedText(t *testing.T) {
	src := "vaults:\n  - id: v1\n    name: 'One'   # quoted\n    folder: \"~/a\"\n"
	f, err := Parse("c.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetListItem([]string{"vaults"}, "id", "v1", map[string]any{"name": "One", "folder": "~/a", "id": "v1"}); err != nil {
		t.Fatal(err)
	}
	if got := string(f.Bytes()); got != src {
		t.Fatalf("an unchanged merge rewrote the text: %q", got)
	}
	err = f.SetListItem([]string{"vaults"}, "id", "v1", map[string]any{"folder": "~/b", "name": "bad\x01"})
	if err == nil || string(f.Bytes()) != src {
		t.Fatalf("a failed merge: %v, left %q", err, f.Bytes())
	}
}
