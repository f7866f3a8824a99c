package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// eventually polls cond until it holds, failing after a deadline.
func folderEventually(t *testing.T, p *proc, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s\n%s", what, p.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// scanStatus waits for vault id's first full scan to end and returns its status.
func waitScan(t *testing.T, p *proc, tok, id string) map[string]any {
	t.Helper()
	var st map[string]any
	folderEventually(t, p, id+"'s full scan", func() bool {
		var resp *http.Response
		resp, st = p.call("GET", "/vaults/"+id+"/scan-status", nil, bearer(tok)...)
		return resp.StatusCode == 200 && st["active"] == false && st["finished_at_ms"].(float64) > 0
	})
	return st
}

// A folder vault declared in config.yaml IS its folder: the files in it are ingested at start,
// changes on disk reach the vault, uploads and deletes through the API reach the folder, and a
// restart ingests nothing twice. A folder vault created through the API is scanned too.
func TestFolderVaultEndToEnd(t *testing.T) {
	dir := t.TempDir()
	docs := filepath.Join(dir, "docs")
	put := func(rel, content string) {
		t.Helper()
		p := filepath.Join(docs, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put("readme.txt", "read me")
	put("sub/notes.md", "# notes")
	cfg := testConfig(t, dir, "vaults:\n  - id: f1\n    name: docs\n    path: "+docs+"\n")
	p := start(t, cfg)
	p.setPassword("some password")
	tok := p.login("some password")
	v := &vaultClient{t: t, p: p, tok: tok, id: "f1"}

	st := waitScan(t, p, tok, "f1")
	if st["walked"].(float64) != 2 || st["ingested"].(float64) != 2 || st["errors"].(float64) != 0 || st["last_error"] != "" {
		t.Fatalf("scan status %v", st)
	}
	if resp, got := v.get("/download/sub/notes.md"); resp.StatusCode != 200 || string(got) != "# notes" {
		t.Fatalf("notes.md: %d %q", resp.StatusCode, got)
	}

	put("later/new.txt", "appeared after the scan")
	folderEventually(t, p, "new.txt in the vault", func() bool {
		resp, got := v.get("/download/later/new.txt")
		return resp.StatusCode == 200 && string(got) == "appeared after the scan"
	})

	data := randomBytes(700 << 10)
	if resp, info := v.upload("/api/up.bin", data, int64(len(data)), "X-MeshHold-Mtime", "1600000000456"); resp.StatusCode != 201 {
		t.Fatalf("upload: %d %v", resp.StatusCode, info)
	}
	disk := filepath.Join(docs, "api", "up.bin")
	if got, err := os.ReadFile(disk); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the upload is not in the folder: %v, %d bytes", err, len(got))
	}
	if fi, _ := os.Stat(disk); fi.ModTime().UnixMilli() != 1600000000456 {
		t.Fatalf("its mtime is %s", fi.ModTime())
	}

	if resp, _ := p.call("DELETE", "/vaults/f1/files/sub/notes.md", nil, bearer(tok)...); resp.StatusCode != 200 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	folderEventually(t, p, "notes.md gone from the folder", func() bool {
		_, err := os.Stat(filepath.Join(docs, "sub", "notes.md"))
		return os.IsNotExist(err)
	})

	if err := os.Remove(filepath.Join(docs, "readme.txt")); err != nil {
		t.Fatal(err)
	}
	folderEventually(t, p, "readme.txt deleted from the vault", func() bool {
		resp, _ := p.call("GET", "/vaults/f1/files/readme.txt", nil, bearer(tok)...)
		return resp.StatusCode == 404
	})

	plain := newVault(t, p, tok, map[string]any{"name": "plain"})
	if resp, body := p.call("GET", "/vaults/"+plain.id+"/scan-status", nil, bearer(tok)...); resp.StatusCode != 404 || body["error"] != "vault has no folder" {
		t.Fatalf("a vault without a folder: %d %v", resp.StatusCode, body)
	}
	other := filepath.Join(dir, "other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "x.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	made := newVault(t, p, tok, map[string]any{"name": "other", "path": other})
	if st := waitScan(t, p, tok, made.id); st["ingested"].(float64) != 1 {
		t.Fatalf("a folder vault made through the API: %v", st)
	}

	p.stop()
	p = start(t, cfg)
	tok = p.login("some password")
	if st := waitScan(t, p, tok, "f1"); st["walked"].(float64) != 2 || st["ingested"].(float64) != 0 || st["deleted"].(float64) != 0 {
		t.Fatalf("after a restart: %v", st)
	}
	resp, info := p.call("GET", "/vaults/f1/files/api/up.bin", nil, bearer(tok)...)
	if resp.StatusCode != 200 || info["version_count"].(float64) != 1 || info["mtime_ms"].(float64) != 1600000000456 {
		t.Fatalf("up.bin after a restart: %d %v", resp.StatusCode, info)
	}
}
