package reports

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/messages"
)

// clock makes Create's times distinct and increasing: t0, then a second later each call.
func clock(s *Store) {
	t := time.Date(2026, 1, 2, 15, 4, 5, 123e6, time.UTC)
	s.now = func() time.Time { t = t.Add(time.Second); return t }
}

func open(t *testing.T) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "reports")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	clock(s)
	return s, dir
}

func TestCreateWritesAZipAtomically(t *testing.T) {
	s, dir := open(t)
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("folder: %v %v", st.Mode(), err)
	}
	info, err := s.Create([]Section{{"a.txt", []byte("alpha")}, {"b.json", []byte(`{"b":1}`)}})
	if err != nil {
		t.Fatal(err)
	}
	if !validID(info.ID) || info.Name != info.ID+".zip" || info.CreatedMs != time.Date(2026, 1, 2, 15, 4, 6, 123e6, time.UTC).UnixMilli() {
		t.Fatalf("info %+v", info)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != info.Name {
		t.Fatalf("folder holds %v, want only %s (no temporary files)", entries, info.Name)
	}
	st, _ := os.Stat(filepath.Join(dir, info.Name))
	if st.Mode().Perm() != 0o600 || st.Size() != info.SizeBytes {
		t.Fatalf("file mode %v size %d, info %+v", st.Mode(), st.Size(), info)
	}
	rc, got, err := s.Open(info.ID)
	if err != nil || got != info {
		t.Fatalf("open: %+v %v", got, err)
	}
	defer rc.Close()
	raw, _ := io.ReadAll(rc)
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a.txt": "alpha", "b.json": `{"b":1}`}
	for _, f := range zr.File {
		r, _ := f.Open()
		b, _ := io.ReadAll(r)
		if want[f.Name] != string(b) {
			t.Errorf("%s = %q", f.Name, b)
		}
		delete(want, f.Name)
	}
	if len(want) != 0 {
		t.Errorf("missing sections %v", want)
	}
}

func TestListNewestFirstAndBounded(t *testing.T) {
	s, dir := open(t)
	s.keep = 3
	var ids []string
	for range 5 {
		info, err := s.Create([]Section{{"x", []byte("x")}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, info.ID)
	}
	_ = os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a report"), 0o600)
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range list {
		got = append(got, r.ID)
	}
	if want := []string{ids[4], ids[3], ids[2]}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("list %v, want the newest three %v", got, want)
	}
	for _, old := range ids[:2] {
		if _, _, err := s.Open(old); !errors.Is(err, messages.ErrNotFound) {
			t.Errorf("old report %s still opens: %v", old, err)
		}
	}
}

func TestBadIDsAreNotFound(t *testing.T) {
	s, dir := open(t)
	_ = os.WriteFile(filepath.Join(filepath.Dir(dir), "secret.zip"), []byte("x"), 0o600)
	for _, id := range []string{"", "..", "../secret", "report-20260102T150405.123Z-1a2b3c4d/../../secret",
		"report-20260102T150405.123Z-1A2B3C4D", "report-20260102T150405.123Z-1a2b3c4d.zip", "/etc/passwd",
		"report-20260102T150405.123Z-1a2b3c4d"} {
		if _, _, err := s.Open(id); !errors.Is(err, messages.ErrNotFound) || err.Error() != "report not found" {
			t.Errorf("Open(%q) = %v, want report not found", id, err)
		}
		if err := s.Delete(id); !errors.Is(err, messages.ErrNotFound) {
			t.Errorf("Delete(%q) = %v, want not found", id, err)
		}
	}
}

func TestDelete(t *testing.T) {
	s, _ := open(t)
	info, _ := s.Create([]Section{{"x", nil}})
	if err := s.Delete(info.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(info.ID); !errors.Is(err, messages.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if list, _ := s.List(); len(list) != 0 {
		t.Fatalf("list %v", list)
	}
}

// Tests run as root, whom chmod does not stop: a folder under a regular file cannot exist.
func TestUnwritableFolderIsUnavailable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Join(file, "reports"), file, ""} {
		if _, err := Open(dir); !errors.Is(err, ErrUnavailable) {
			t.Errorf("Open(%q) = %v, want ErrUnavailable", dir, err)
		}
	}
}

// A folder removed after Open makes Create unavailable, not a crash; nothing is left behind.
func TestCreateInVanishedFolder(t *testing.T) {
	s, dir := open(t)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create([]Section{{"x", nil}}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err %v", err)
	}
	if _, err := s.List(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("list err %v", err)
	}
}

func TestSectionNamesAreChecked(t *testing.T) {
	s, dir := open(t)
	for _, name := range []string{"", "../x", "a/b", `a\b`, ".", ".."} {
		if _, err := s.Create([]Section{{name, nil}}); err == nil {
			t.Errorf("section %q accepted", name)
		}
	}
	if _, err := s.Create([]Section{{"a", nil}, {"a", nil}}); err == nil {
		t.Error("duplicate sections accepted")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("refused creates left %v", entries)
	}
}

// Temporary files of a crashed Create are cleaned up at Open.
func TestOpenRemovesCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	left := filepath.Join(dir, tmpPrefix+"123.tmp")
	_ = os.WriteFile(left, []byte("half a zip"), 0o600)
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Fatalf("leftover still there: %v", err)
	}
}
