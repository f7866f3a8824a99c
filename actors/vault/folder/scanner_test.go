package folder_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The first full scan ingests every regular file of the tree with its mtime, and nothing
// else; a restart finds nothing to do.
func TestInitialScanIngestsNestedFiles(t *testing.T) {
	r := newRig(t)
	r.write("a.txt", "alpha")
	r.write("sub/b.md", "bravo bravo")
	r.write("sub/deep/c.bin", strings.Repeat("c", 700<<10)) // two blocks
	r.write("sub/.x.meshhold-tmp-123", "a temp file of Mirror")
	mtime := time.UnixMilli(1_700_000_000_123)
	if err := os.Chtimes(filepath.Join(r.dir, "a.txt"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(r.dir, "a.txt"), filepath.Join(r.dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := mkfifo(filepath.Join(r.dir, "fifo")); err != nil {
		t.Fatal(err)
	}
	r.create("f1", r.dir)
	r.start()
	st := r.scanned()
	if st.Walked != 3 || st.Ingested != 3 || st.Errors != 0 || st.Deleted != 0 || st.Folder != r.dir {
		t.Fatalf("status %+v", st)
	}
	if got := r.live(); !slices.Equal(got, []string{"/a.txt", "/sub/b.md", "/sub/deep/c.bin"}) {
		t.Fatalf("vault holds %v", got)
	}
	info := r.hasContent("/a.txt", "alpha")
	if info.MtimeMs != 1_700_000_000_123 || info.Author != nodeID || info.ContentType != "text/plain; charset=utf-8" {
		t.Fatalf("a.txt: %+v", info)
	}
	r.hasContent("/sub/deep/c.bin", strings.Repeat("c", 700<<10))
	r.restart()
	if st := r.scanned(); st.Walked != 3 || st.Ingested != 0 || st.Errors != 0 {
		t.Fatalf("after a restart: %+v", st)
	}
	if info, _ := r.stat("/sub/b.md"); info.VersionCount != 1 {
		t.Fatalf("b.md has %d versions after a restart", info.VersionCount)
	}
}

// Once scanned, the folder is watched: new, changed, removed and moved files and directories
// reach the vault after the debounce.
func TestWatchIngestsChanges(t *testing.T) {
	r := newRig(t)
	r.write("keep.txt", "kept")
	r.write("old/one.txt", "one")
	r.write("old/inner/two.txt", "two")
	r.create("f1", r.dir)
	r.start()
	r.scanned()

	r.write("new.txt", "brand new")
	r.hasContent("/new.txt", "brand new")

	r.write("keep.txt", "kept, then changed")
	if info := r.hasContent("/keep.txt", "kept, then changed"); info.VersionCount != 2 {
		t.Fatalf("keep.txt has %d versions", info.VersionCount)
	}

	r.write("made/later/deep.txt", "in a new tree")
	r.hasContent("/made/later/deep.txt", "in a new tree")

	if err := os.Remove(filepath.Join(r.dir, "new.txt")); err != nil {
		t.Fatal(err)
	}
	r.isDeleted("/new.txt")

	if err := os.Rename(filepath.Join(r.dir, "old"), filepath.Join(r.dir, "moved")); err != nil {
		t.Fatal(err)
	}
	r.isDeleted("/old/one.txt")
	r.isDeleted("/old/inner/two.txt")
	r.hasContent("/moved/one.txt", "one")
	r.hasContent("/moved/inner/two.txt", "two")
	r.write("moved/inner/three.txt", "the moved tree is watched under its new name")
	r.hasContent("/moved/inner/three.txt", "the moved tree is watched under its new name")

	if err := os.RemoveAll(filepath.Join(r.dir, "made")); err != nil {
		t.Fatal(err)
	}
	r.isDeleted("/made/later/deep.txt")
	if st, _ := r.folders.Status("f1"); st.Errors != 0 {
		t.Fatalf("errors: %+v", st)
	}
}

// A file still being written is committed once, when it has been quiet for the debounce.
func TestDebounceIngestsAQuietFileOnce(t *testing.T) {
	r := newRig(t)
	r.cfg.Debounce = 300 * time.Millisecond
	r.create("f1", r.dir)
	r.start()
	r.scanned()
	f, err := os.Create(filepath.Join(r.dir, "growing.log"))
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := f.WriteString("line\n"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // well under the debounce
	}
	f.Close()
	info := r.hasContent("/growing.log", strings.Repeat("line\n", 10))
	time.Sleep(2 * r.cfg.Debounce)
	if info, _ = r.stat("/growing.log"); info.VersionCount != 1 {
		t.Fatalf("%d versions of a file written in one go", info.VersionCount)
	}
}

// A full scan tombstones the files removed while nobody watched, but never empties a vault
// because its folder looks empty or is missing (an unmounted drive).
func TestFullScanDeletesOnlyWhatIsSafelyGone(t *testing.T) {
	r := newRig(t)
	r.write("a.txt", "a")
	r.write("b/c.txt", "c")
	r.create("f1", r.dir)
	r.start()
	r.scanned()
	r.folders.Stop()

	if err := os.Remove(filepath.Join(r.dir, "a.txt")); err != nil {
		t.Fatal(err)
	}
	r.start()
	if st := r.scanned(); st.Deleted != 1 || st.Errors != 0 {
		t.Fatalf("status %+v", st)
	}
	r.isDeleted("/a.txt")
	r.folders.Stop()

	if err := os.RemoveAll(filepath.Join(r.dir, "b")); err != nil {
		t.Fatal(err)
	}
	r.start()
	if st := r.scanned(); st.Deleted != 0 || st.Errors != 1 || !strings.Contains(st.LastError, "is empty") {
		t.Fatalf("an empty folder: %+v", st)
	}
	r.folders.Stop()

	if err := os.Remove(r.dir); err != nil {
		t.Fatal(err)
	}
	r.start()
	if st := r.scanned(); st.Deleted != 0 || st.Errors != 1 || !strings.Contains(st.LastError, "no such file") {
		t.Fatalf("a missing folder: %+v", st)
	}
	if got := r.live(); !slices.Equal(got, []string{"/b/c.txt"}) {
		t.Fatalf("vault holds %v", got)
	}
}
