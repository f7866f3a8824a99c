package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// vaultClient wraps the harness for the files routes.
type vaultClient struct {
	t   *testing.T
	p   *proc
	tok string
	id  string
}

func newVault(t *testing.T, p *proc, tok string, body map[string]any) *vaultClient {
	t.Helper()
	resp, v := p.send("POST", "/vaults", body, bearer(tok)...)
	if resp.StatusCode != 201 {
		t.Fatalf("create vault: %d %v", resp.StatusCode, v)
	}
	return &vaultClient{t: t, p: p, tok: tok, id: v["id"].(string)}
}

// upload sends data as the file at path; length -1 sends it chunked (no Content-Length).
func (c *vaultClient) upload(path string, data []byte, length int64, header ...string) (*http.Response, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.p.api+"/vaults/"+c.id+"/upload"+path, io.NopCloser(bytes.NewReader(data)))
	req.ContentLength = length
	if length >= 0 {
		req.ContentLength = int64(len(data))
	}
	req.Header.Set("Authorization", "Bearer "+c.tok)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = jsonUnmarshal(raw, &m)
	return resp, m
}

func (c *vaultClient) get(path string, header ...string) (*http.Response, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.p.api+"/vaults/"+c.id+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.tok)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// Files round-trip through a vault: upload, download, ranges, list, history, delete, restore,
// conflicts and their resolution, If-Match, bad paths; the vault is declared in config.yaml.
func TestVaultFilesEndToEnd(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir, "")
	p := start(t, cfg)
	p.setPassword("some password")
	tok := p.login("some password")
	v := newVault(t, p, tok, map[string]any{"name": "photos"})
	if resp, _ := p.send("POST", "/vaults", map[string]any{"name": "photos"}, bearer(tok)...); resp.StatusCode != 409 {
		t.Fatalf("a second vault named photos: %d", resp.StatusCode)
	}
	if !strings.Contains(string(mustRead(t, cfg)), v.id) || !strings.Contains(string(mustRead(t, cfg)), "# test node") {
		t.Fatalf("config.yaml does not declare the vault (or lost its comment):\n%s", mustRead(t, cfg))
	}
	for _, size := range []int{0, 1, 512 << 10, 512<<10 + 1, 3<<20 - 1} {
		data := randomBytes(size)
		resp, info := v.upload("/2026/f.bin", data, int64(size))
		if resp.StatusCode != 201 || info["size"].(float64) != float64(size) {
			t.Fatalf("upload %d bytes: %d %v", size, resp.StatusCode, info)
		}
		resp, got := v.get("/download/2026/f.bin")
		if resp.StatusCode != 200 || !bytes.Equal(got, data) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("download %d bytes: %d, %d bytes back, disposition %q", size, resp.StatusCode, len(got), resp.Header.Get("Content-Disposition"))
		}
	}
	data := randomBytes(1 << 20)
	_, first := v.upload("/doc.txt", data, -1) // chunked: no Content-Length
	resp, got := v.get("/stream/doc.txt", "Range", "bytes=524287-524288")
	if resp.StatusCode != 206 || !bytes.Equal(got, data[524287:524289]) {
		t.Fatalf("range across a block boundary: %d %d bytes", resp.StatusCode, len(got))
	}
	if resp, _ := v.get("/stream/doc.txt", "Range", "bytes=9999999-"); resp.StatusCode != 416 {
		t.Fatalf("unsatisfiable range: %d", resp.StatusCode)
	}
	h1 := first["content_hash"].(string)
	if resp, _ := v.upload("/doc.txt", []byte("edit on top of something else"), -1, "If-Match", `"`+strings.Repeat("0", 64)+`"`); resp.StatusCode != 412 {
		t.Fatalf("If-Match a stale hash: %d", resp.StatusCode)
	}
	_, second := v.upload("/doc.txt", []byte("second version"), -1, "If-Match", h1)
	// An edit based on the first version, though the second is the head: a conflict.
	resp, forked := v.upload("/doc.txt", []byte("edited elsewhere"), -1, "X-MeshHold-Base", h1)
	if resp.StatusCode != 201 || forked["conflict"] != true {
		t.Fatalf("an upload based on an older version: %d %v", resp.StatusCode, forked)
	}
	resp, resolved := p.send("POST", "/vaults/"+v.id+"/resolve-conflict/doc.txt", map[string]string{"content_hash": second["content_hash"].(string)}, bearer(tok)...)
	if resp.StatusCode != 201 || resolved["conflict"] != false || len(resolved["parents"].([]any)) != 2 {
		t.Fatalf("resolve: %d %v", resp.StatusCode, resolved)
	}
	if _, got := v.get("/download/doc.txt"); string(got) != "second version" {
		t.Fatalf("after resolving, the file reads %q", got)
	}
	resp, restored := p.send("POST", "/vaults/"+v.id+"/restore/doc.txt", map[string]string{"content_hash": h1}, bearer(tok)...)
	if resp.StatusCode != 201 || restored["content_hash"] != h1 {
		t.Fatalf("restore: %d %v", resp.StatusCode, restored)
	}
	if _, got := v.get("/version/doc.txt?content_hash=" + second["content_hash"].(string)); string(got) != "second version" {
		t.Fatalf("an older version reads %q", got)
	}
	_, hist := p.call("GET", "/vaults/"+v.id+"/history/doc.txt", nil, bearer(tok)...)
	if len(hist["versions"].([]any)) < 5 {
		t.Fatalf("history: %v", hist)
	}
	if resp, _ := p.call("DELETE", "/vaults/"+v.id+"/files/doc.txt", nil, bearer(tok)...); resp.StatusCode != 200 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if resp, _ := v.get("/download/doc.txt"); resp.StatusCode != 404 {
		t.Fatalf("download after delete: %d", resp.StatusCode)
	}
	_, list := p.call("GET", "/vaults/"+v.id+"/files?path=/", nil, bearer(tok)...)
	if files := list["files"].([]any); len(files) != 1 || files[0].(map[string]any)["path"] != "/2026/f.bin" {
		t.Fatalf("listing: %v", list)
	}
	for _, bad := range []string{"/a/../b", "/a//b", "/%00x"} {
		if resp, _ := v.upload(bad, []byte("x"), 1); resp.StatusCode != 400 {
			t.Fatalf("upload to %q: %d", bad, resp.StatusCode)
		}
	}
	p.stop()
}

// The hard quota answers 507 with its fields, before any byte with a Content-Length, and by
// cutting the body without one; nothing is committed either way.
func TestVaultQuota(t *testing.T) {
	p := start(t, testConfig(t, t.TempDir(), ""))
	p.setPassword("some password")
	tok := p.login("some password")
	v := newVault(t, p, tok, map[string]any{"name": "small", "hard_quota": 1 << 20})
	if resp, _ := v.upload("/a", randomBytes(700<<10), -1); resp.StatusCode != 201 {
		t.Fatalf("first upload: %d", resp.StatusCode)
	}
	for _, length := range []int64{500 << 10, -1} {
		resp, body := v.upload("/b", randomBytes(500<<10), length)
		if resp.StatusCode != 507 || body["vault_id"] != v.id || body["hard_quota"].(float64) != 1<<20 || body["would_be_size"].(float64) <= 1<<20 {
			t.Fatalf("over quota (length %d): %d %v", length, resp.StatusCode, body)
		}
	}
	if resp, _ := v.get("/files/b"); resp.StatusCode != 404 {
		t.Fatalf("a refused upload is visible: %d", resp.StatusCode)
	}
	p.stop()
}

// A password vault starts locked after a restart; lock drops the key (403 "vault locked"),
// unlock with the password brings it back.
func TestVaultLockUnlock(t *testing.T) {
	p := start(t, testConfig(t, t.TempDir(), ""))
	p.setPassword("some password")
	tok := p.login("some password")
	v := newVault(t, p, tok, map[string]any{"name": "secret", "password": "vault password"})
	v.upload("/x", []byte("hidden"), -1)
	if resp, _ := p.call("POST", "/vaults/"+v.id+"/lock", nil, bearer(tok)...); resp.StatusCode != 200 {
		t.Fatalf("lock: %d", resp.StatusCode)
	}
	resp, body := v.get("/download/x")
	if resp.StatusCode != 403 || !strings.Contains(string(body), "vault locked") {
		t.Fatalf("download from a locked vault: %d %s", resp.StatusCode, body)
	}
	if resp, _ := p.send("POST", "/vaults/unlock", map[string]string{"password": "wrong password"}, bearer(tok)...); resp.StatusCode != 403 {
		t.Fatalf("a wrong unlock password: %d", resp.StatusCode)
	}
	if resp, body := p.send("POST", "/vaults/unlock", map[string]string{"password": "vault password"}, bearer(tok)...); resp.StatusCode != 200 || !strings.Contains(fmt.Sprint(body), v.id) {
		t.Fatalf("unlock: %d %v", resp.StatusCode, body)
	}
	if _, got := v.get("/download/x"); string(got) != "hidden" {
		t.Fatalf("after unlock: %q", got)
	}
	p.stop()
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
