package folder

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestPathMapping(t *testing.T) {
	for rel, want := range map[string]string{
		"a.txt":                   "/a.txt",
		filepath.Join("b", "c"):   "/b/c",
		".hidden":                 "/.hidden",
		"bad\nname":               "",
		"bad\xffutf8":             "",
		strings.Repeat("x", 4096): "",
	} {
		got, err := vaultPath(rel)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("vaultPath(%q) = %q, %v; want %q", rel, got, err, want)
		}
	}
	for vp, want := range map[string]string{
		"/a.txt":               "a.txt",
		"/b/c":                 filepath.Join("b", "c"),
		"/":                    "",
		"/../x":                "",
		"/a//b":                "",
		"/a/./b":               "",
		"/d/.f.meshhold-tmp-9": "",
	} {
		got, err := relPath(vp)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("relPath(%q) = %q, %v; want %q", vp, got, err, want)
		}
	}
}

func TestTempNames(t *testing.T) {
	long := strings.Repeat("é", 200)
	for _, base := range []string{"a.txt", long} {
		name := strings.Replace(tempPattern(base), "*", "123456", 1)
		if !isTemp(name) || len(name) > 255 {
			t.Errorf("temp name %q of %q: isTemp %v, %d bytes", name, base, isTemp(name), len(name))
		}
	}
	for _, name := range []string{"a.txt", ".hidden", "x.meshhold-tmp-1"} {
		if isTemp(name) {
			t.Errorf("%q taken for a temp file", name)
		}
	}
}
