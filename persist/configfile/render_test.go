package configfile

import (
	"math"
	"reflect"
	"testing"

	"github.com/goccy/go-yaml"
)

type redacting string

func (redacting) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// TestValuesReadBack writes awkward values as a new key and as a replacement (plain and
// quoted old scalars) and checks that each reads back as itself.
func TestValuesReadBack(t *testing.T) {
	type policy struct {
		Factor int    `yaml:"replication_factor"`
		Keep   string `yaml:"keep_deleted_for,omitempty"`
	}
	for _, tc := range []struct {
		val  any
		want any // decoded form when it differs from the normalized value
	}{
		{val: ""}, {val: "yes"}, {val: "No"}, {val: "on"}, {val: "~"}, {val: "null"}, {val: "123"},
		{val: "1e3"}, {val: "0x1F"}, {val: "2026-01-02"}, {val: "a: b"}, {val: "#x"}, {val: "x #y"},
		{val: "x#y"}, {val: "[x]"}, {val: "{x}"}, {val: "a,b"}, {val: "-"}, {val: "- x"}, {val: "?"},
		{val: ":x"}, {val: "x:"}, {val: "@x"}, {val: "`x"}, {val: "*a"}, {val: "&a"}, {val: "!t"},
		{val: "%x"}, {val: "|"}, {val: ">"}, {val: "'q'"}, {val: `"q"`}, {val: `back\slash`},
		{val: " lead"}, {val: "trail "}, {val: "tab\there"}, {val: "nul\x00"}, {val: "bell\a"},
		{val: "café ☕"}, {val: "emoji 🙂"}, {val: "\ufeffbom"}, {val: "nbsp\u00a0x"},
		{val: "/ip4/192.0.2.1/tcp/4001/p2p/12D3KooWA"}, {val: "~/Photos"}, {val: "C:\\Users"},
		{val: "multi\nline"}, {val: "multi\nline\n"}, {val: "two\n\n"}, {val: "\nlead newline"},
		{val: " indented\nsecond"}, {val: "a\r\nb"}, {val: "# not a comment\nx"}, {val: "x\n  deeper\n"},
		{val: 0}, {val: -7}, {val: uint64(math.MaxUint64)}, {val: 3.0}, {val: 2.5}, {val: 1e21},
		{val: float32(0.5)}, {val: true}, {val: false}, {val: nil},
		{val: []string{}}, {val: map[string]any{}}, {val: []any{1, "a", nil, []any{"n"}}},
		{val: map[string]int{"b": 2, "a": 1}}, {val: yaml.MapSlice{{Key: "z", Value: 1}, {Key: "a", Value: 2}}},
		{val: policy{Factor: 2}, want: map[string]any{"replication_factor": uint64(2)}},
		{val: &policy{Factor: 3, Keep: "720h"}, want: map[string]any{"replication_factor": uint64(3), "keep_deleted_for": "720h"}},
		{val: redacting("secret"), want: "[redacted]"},
	} {
		want := tc.want
		if want == nil {
			want = canon(mustNormalize(t, tc.val))
		}
		for _, src := range []string{"a: 1\n", "a: 1\nk: old\n", "a: 1\nk: 'old'\n", "a: 1\nk: \"old\"\n", "list:\n  - id: x\n    k: old\n"} {
			f, err := Parse("c.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if src[0] == 'l' {
				err = f.SetListItem([]string{"list"}, "id", "x", map[string]any{"k": tc.val})
			} else {
				err = f.Set([]string{"k"}, tc.val)
			}
			if err != nil {
				t.Errorf("%#v over %q: %v", tc.val, src, err)
				continue
			}
			var doc map[string]any
			if err := yaml.Unmarshal(f.Bytes(), &doc); err != nil {
				t.Fatalf("%#v: %v\n%s", tc.val, err, f.Bytes())
			}
			got := doc["k"]
			if src[0] == 'l' {
				got = doc["list"].([]any)[0].(map[string]any)["k"]
			}
			if !reflect.DeepEqual(canon(got), canon(want)) {
				t.Errorf("%#v over %q reads back as %#v:\n%s", tc.val, src, got, f.Bytes())
			}
		}
	}
}

func TestRenderStyle(t *testing.T) {
	for _, tc := range []struct {
		val  any
		want string
	}{
		{"0.0.0.0:8080", "k: 0.0.0.0:8080\n"},
		{"yes", "k: \"yes\"\n"},
		{"a\tb", "k: \"a\\tb\"\n"},
		{"/key/swarm/psk/1.0.0/\n/base16/\nab\n", "k: |\n  /key/swarm/psk/1.0.0/\n  /base16/\n  ab\n"},
		{"one\ntwo", "k: |-\n  one\n  two\n"},
		{"two\n\n", "k: \"two\\n\\n\"\n"},
		{[]string{"a", "b"}, "k:\n  - a\n  - b\n"},
		{[]map[string]any{{"id": "a", "x": []int{1}}}, "k:\n  - id: a\n    x:\n      - 1\n"},
		{[][]string{{"a", "b"}}, "k:\n  - - a\n    - b\n"},
		{map[string]any{"b": map[string]any{"c": "multi\nline"}, "a": 1.0}, "k:\n  a: 1.0\n  b:\n    c: |-\n      multi\n      line\n"},
	} {
		f, _ := Parse("c.yaml", nil)
		if err := f.Set([]string{"k"}, tc.val); err != nil {
			t.Fatal(err)
		}
		if got := string(f.Bytes()); got != tc.want {
			t.Errorf("%#v:\n got %q\nwant %q", tc.val, got, tc.want)
		}
	}
}

func TestUnsupportedValues(t *testing.T) {
	f, _ := Parse("c.yaml", []byte("a: 1\n"))
	for _, v := range []any{"bad \xff utf8", "ctl\x01", map[int]string{1: "x"}, make(chan int)} {
		if err := f.Set([]string{"k"}, v); err == nil {
			t.Errorf("Set(%#v) succeeded", v)
		}
	}
	if string(f.Bytes()) != "a: 1\n" {
		t.Fatalf("failed edits changed the text: %q", f.Bytes())
	}
}
