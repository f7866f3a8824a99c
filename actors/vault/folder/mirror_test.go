package folder_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/http/files"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// apiUpload commits content as p the way the API's upload route does (admit, ingest, check,
// commit), then calls the Written hook.
func (r *rig) apiUpload(p string, content []byte, mtimeMs int64) messages.FileInfo {
	r.t.Helper()
	ctx := context.Background()
	grant := r.ask(r.vaults, "f1", messages.BeginUpload{Path: p, Size: int64(len(content))}).(messages.UploadGrant)
	up, err := files.Ingest(ctx, bytes.NewReader(content), files.IngestConfig{Key: grant.Key, Store: r.blocks, Pins: r.pins, Limit: files.MaxUploadSize})
	if err != nil {
		r.t.Fatal(err)
	}
	defer up.Done()
	if err := files.CheckBlocks(r.blocks, up.Manifest); err != nil {
		r.t.Fatal(err)
	}
	info := r.ask(r.vaults, "f1", messages.CommitUpload{Path: p, Manifest: up.Manifest, ContentType: "application/octet-stream",
		MtimeMs: mtimeMs, Author: "12D3KooWclient"}).(messages.FileInfo)
	r.folders.Written(ctx, "f1", info)
	return info
}

// An upload through the API lands in the folder with its bytes and mtime, and the scanner
// finds nothing to ingest; a delete through the API removes the file.
func TestWrittenMirrorsAPIChangesIntoTheFolder(t *testing.T) {
	r := newRig(t)
	r.write("here.txt", "already here")
	r.create("f1", r.dir)
	r.start()
	r.scanned()

	content := bytes.Repeat([]byte("0123456789"), 60<<10) // 600 KiB: two blocks
	r.apiUpload("/up/loaded.bin", content, 1_600_000_000_456)
	disk := filepath.Join(r.dir, "up", "loaded.bin")
	got, err := os.ReadFile(disk)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("folder has %d bytes (%v), want %d", len(got), err, len(content))
	}
	if fi, _ := os.Stat(disk); fi.ModTime().UnixMilli() != 1_600_000_000_456 {
		t.Fatalf("mtime %s", fi.ModTime())
	}
	r.apiUpload("/here.txt", []byte("replaced through the API"), 0) // mtime: the commit's time
	if got, _ := os.ReadFile(filepath.Join(r.dir, "here.txt")); string(got) != "replaced through the API" {
		t.Fatalf("here.txt holds %q", got)
	}
	time.Sleep(6 * testCfg.Debounce) // the events of the writes come and go
	for _, p := range []string{"/up/loaded.bin", "/here.txt"} {
		if info, _ := r.stat(p); info.VersionCount != map[string]int{"/up/loaded.bin": 1, "/here.txt": 2}[p] || info.Author != "12D3KooWclient" {
			t.Fatalf("%s: %d versions by %s: the scanner ingested the mirrored file again", p, info.VersionCount, info.Author)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(r.dir, "up"))
	if len(entries) != 1 {
		t.Fatalf("temp files left: %v", entries)
	}

	del := r.ask(r.vaults, "f1", messages.DeleteFile{Path: "/here.txt"}).(messages.FileInfo)
	r.folders.Written(context.Background(), "f1", del)
	if _, err := os.Lstat(filepath.Join(r.dir, "here.txt")); !os.IsNotExist(err) {
		t.Fatalf("here.txt still in the folder: %v", err)
	}
	r.restart()
	if st := r.scanned(); st.Ingested != 0 || st.Deleted != 0 || st.Errors != 0 || st.Walked != 1 {
		t.Fatalf("the scan after mirroring: %+v", st)
	}
}

// A vault path that cannot be a file of the folder is refused, not written outside it.
func TestMirrorRefusesPathsOutsideTheFolder(t *testing.T) {
	r := newRig(t)
	r.create("f1", r.dir)
	r.start()
	r.scanned()
	s, _ := r.folders.Scanner("f1")
	for _, p := range []string{"/../escape", "/a/./b", "//x", "/.x.meshhold-tmp-1"} {
		if err := s.Mirror(p); err == nil {
			t.Errorf("Mirror(%q) wrote", p)
		}
	}
	if st := s.Status(); st.Errors != 4 {
		t.Fatalf("status %+v", st)
	}
}

// A locked vault waits: the scan says so, and the unlock starts it; vaults created or deleted
// later get or lose their scanner through the bus.
func TestFollowUnlockCreateDelete(t *testing.T) {
	r := newRig(t)
	r.write("secret.txt", "behind a password")
	r.ask(r.reg, messages.RegistryID, messages.CreateVault{ID: "f1", Name: "locked", Folder: r.dir, Wrap: &messages.KeyWrap{
		Salt: make([]byte, 16), Time: 1, MemoryKiB: 8 << 10, Threads: 1, Wrapped: make([]byte, vaultcrypt.WrappedKeySize)}})
	r.start()
	if err := r.folders.Follow(r.bus); err != nil {
		t.Fatal(err)
	}
	if st := r.scanned(); !strings.Contains(st.LastError, "locked") || st.Ingested != 0 {
		t.Fatalf("a locked vault: %+v", st)
	}
	r.ask(r.vaults, "f1", messages.UnlockVault{Key: r.key})
	r.hasContent("/secret.txt", "behind a password")

	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "x"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.create("f2", other)
	r.eventually("f2's scanner", func() bool {
		st, ok := r.folders.Status("f2")
		return ok && st.Ingested == 1
	})
	r.create("plain", "")
	r.ask(r.reg, messages.RegistryID, messages.DeleteVault{ID: "f2"})
	r.eventually("f2's scanner to stop", func() bool {
		_, ok := r.folders.Status("f2")
		return !ok
	})
	if _, ok := r.folders.Status("plain"); ok {
		t.Fatal("a vault without a folder has a scanner")
	}
	if _, err := os.Stat(filepath.Join(other, "x")); err != nil {
		t.Fatalf("deleting the vault touched its folder: %v", err)
	}
}
