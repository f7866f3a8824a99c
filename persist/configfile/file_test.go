package configfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadMissingThenSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Bytes()) != 0 || f.Path() != path {
		t.Fatalf("missing file gave %q at %q", f.Bytes(), f.Path())
	}
	if err := f.Set([]string{"swarm_key"}, swarmKey); err != nil {
		t.Fatal(err)
	}
	if err := f.Set([]string{"api", "bind"}, "127.0.0.1:8080"); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	want := "swarm_key: |\n  " + strings.ReplaceAll(strings.TrimSuffix(swarmKey, "\n"), "\n", "\n  ") +
		"\napi:\n  bind: 127.0.0.1:8080\n"
	checkFile(t, path, want, Mode)
	back, err := Load(path)
	if err != nil || string(back.Bytes()) != want {
		t.Fatalf("reload: %v %q", err, back.Bytes())
	}
}

func TestSaveMakesMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("a: 1 # keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Set([]string{"a"}, 2); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path, "a: 2 # keep\n", 0o600)
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestSaveThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.yaml")
	link := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(real, []byte("a: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.yaml", link); err != nil {
		t.Skip("no symlinks:", err)
	}
	if err := WriteAtomic(link, []byte("a: 2\n"), Mode); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v", err)
	}
	checkFile(t, real, "a: 2\n", Mode)
}

func TestFailedRenameKeepsOriginal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("a: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("injected rename failure")
	rename = func(string, string) error { return boom }
	t.Cleanup(func() { rename = os.Rename })
	err := WriteAtomic(path, []byte("a: 2\n"), Mode)
	if !errors.Is(err, boom) {
		t.Fatalf("WriteAtomic = %v, want the injected failure", err)
	}
	checkFile(t, path, "a: 1\n", 0o600)
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestReadOnlyFolderKeepsOriginal(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte("a: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	if probe, err := os.Create(filepath.Join(dir, "probe")); err == nil {
		probe.Close()
		t.Skip("a read-only folder does not stop this user (root); TestFailedRenameKeepsOriginal covers it")
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Set([]string{"a"}, 2); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err == nil {
		t.Fatal("Save into a read-only folder succeeded")
	}
	checkFile(t, path, "a: 1\n", 0o600)
}

func TestLineEndsAndBOM(t *testing.T) {
	src := "\ufeff# head\r\na: 1 # c\r\nlist:\r\n  - id: x\r\n"
	f, err := Parse("c.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	err = errors.Join(
		f.Set([]string{"a"}, "two\nlines\n"),
		f.Set([]string{"b", "c"}, []string{"p", "q"}),
		f.SetListItem([]string{"list"}, "id", "z", map[string]any{"num": 1}),
	)
	if err != nil {
		t.Fatal(err)
	}
	want := "\ufeff# head\r\na: | # c\r\n  two\r\n  lines\r\nlist:\r\n  - id: x\r\n  - id: z\r\n    num: 1\r\nb:\r\n  c:\r\n    - p\r\n    - q\r\n"
	if got := string(f.Bytes()); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		edit      func(*File) error
		want      string
		notFound  bool
	}{
		{"delete missing", "a: 1\n", func(f *File) error { return f.Delete([]string{"b"}) }, "not found: delete b", true},
		{"delete under scalar", "a: 1\n", func(f *File) error { return f.Delete([]string{"a", "b"}) }, "not found", true},
		{"delete missing item", "l:\n  - id: a\n", func(f *File) error { return f.DeleteListItem([]string{"l"}, "id", "b") }, "not found", true},
		{"set under scalar", "a: 1\n", func(f *File) error { return f.Set([]string{"a", "b"}, 1) }, "a is a scalar, not a mapping", false},
		{"set under list", "a: [1]\n", func(f *File) error { return f.Set([]string{"a", "b"}, 1) }, "a is a sequence, not a mapping", false},
		{"add to flow map", "a: {x: 1}\n", func(f *File) error { return f.Set([]string{"a", "y"}, 1) }, "flow", false},
		{"block into flow map", "a: {x: 1}\n", func(f *File) error { return f.Set([]string{"a", "x"}, []int{1}) }, "flow", false},
		{"item into flow list", "l: [{id: a}]\n", func(f *File) error { return f.SetListItem([]string{"l"}, "id", "b", nil) }, "flow", false},
		{"list is a map", "l:\n  id: a\n", func(f *File) error { return f.SetListItem([]string{"l"}, "id", "a", nil) }, "l is a mapping, not a sequence", false},
		{"item key differs", "l: []\n", func(f *File) error {
			return f.SetListItem([]string{"l"}, "id", "a", map[string]any{"id": "b"})
		}, `item has id b, want "a"`, false},
		{"through an alias", "x: &a {k: 1}\ny: *a\n", func(f *File) error { return f.Set([]string{"y", "k"}, 2) }, "y is an alias", false},
		{"edit under an anchor", "x: &a\n  k: 1\ny: *a\n", func(f *File) error { return f.Set([]string{"x", "k"}, 2) }, "it would change other values", false},
		{"edit an anchored value", "x: &a 1\ny: *a\n", func(f *File) error { return f.Set([]string{"x"}, 2) }, "edit refused, file unchanged", false},
	} {
		f, err := Parse("c.yaml", []byte(tc.src))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		err = tc.edit(f)
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrNotFound) != tc.notFound {
			t.Errorf("%s: error %v, want one containing %q (ErrNotFound: %v)", tc.name, err, tc.want, tc.notFound)
		}
		if string(f.Bytes()) != tc.src {
			t.Errorf("%s: a failed edit changed the text to %q", tc.name, f.Bytes())
		}
	}
}

func TestParseErrors(t *testing.T) {
	for name, src := range map[string]string{
		"syntax":          "a: [1\n",
		"two documents":   "a: 1\n---\nb: 2\n",
		"hex escape":      "a: \"caf\\u00e9\"\n",
		"duplicate key":   "a: 1\na: 2\n",
		"tab indentation": "a:\n\tb: 1\n",
	} {
		if _, err := Parse("c.yaml", []byte(src)); err == nil || !strings.HasPrefix(err.Error(), "configfile: parse c.yaml: ") {
			t.Errorf("%s: Parse error %v", name, err)
		}
	}
}

func checkFile(t *testing.T, path, want string, mode os.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s holds %q, want %q", path, got, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != mode {
		t.Fatalf("%s has mode %v, want %v", path, fi.Mode().Perm(), mode)
	}
}
