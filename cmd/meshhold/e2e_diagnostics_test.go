package main

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/p2p/swarmkey"
)

// A report from the real daemon: the swarm key and the bus token are in config.yaml, the session
// bearer is in the request log, and none of them is in the zip.
func TestDiagnosticsReportEndToEnd(t *testing.T) {
	k, _ := swarmkey.Generate()
	keyHex := strings.Fields(k.Text())[2]
	const busToken = "bus-token-0123456789abcdef"
	dir := t.TempDir()
	indented := "  " + strings.ReplaceAll(strings.TrimSpace(k.Text()), "\n", "\n  ")
	p := start(t, testConfig(t, dir, "swarm_key: |\n"+indented+"\nbus:\n  listen: 127.0.0.1:0\n  token: "+busToken+"\n"))
	defer p.stop()
	p.setPassword("correct horse battery")
	tok := p.login("correct horse battery")

	resp, body := p.call("POST", "/diagnostics/reports", nil, bearer(tok)...)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %v", resp.StatusCode, body)
	}
	id := body["id"].(string)
	if _, list := p.call("GET", "/diagnostics/reports", nil, bearer(tok)...); len(list["reports"].([]any)) != 1 {
		t.Fatalf("list %v", list)
	}
	dl, err := http.Get(p.api + "/diagnostics/reports/" + id + "?token=" + tok)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(dl.Body)
	dl.Body.Close()
	if dl.StatusCode != 200 || dl.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download %d %v", dl.StatusCode, dl.Header)
	}
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		r, _ := f.Open()
		b, _ := io.ReadAll(r)
		files[f.Name] = string(b)
		for _, secret := range []string{keyHex, busToken, tok} {
			if strings.Contains(string(b), secret) {
				t.Errorf("%s holds a secret %q", f.Name, secret[:8])
			}
		}
	}
	if !strings.Contains(files["config.yaml"], "name: alpha") || !strings.Contains(files["log.jsonl"], `"msg":"ready"`) ||
		!strings.Contains(files["status.json"], `"has_swarm_key": true`) || !strings.Contains(files["version.txt"], "uptime") ||
		!strings.Contains(files["metrics.json"], `"interval_ms"`) {
		t.Errorf("report content: %v", files)
	}
	if st, err := os.Stat(filepath.Join(dir, "reports", id+".zip")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("report file: %v %v", st, err)
	}
	if resp, _ := p.call("DELETE", "/diagnostics/reports/"+id, nil, bearer(tok)...); resp.StatusCode != 204 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if resp, body := p.call("DELETE", "/diagnostics/reports/"+id, nil, bearer(tok)...); resp.StatusCode != 404 || body["error"] != "report not found" {
		t.Fatalf("second delete: %d %v", resp.StatusCode, body)
	}
}

// No writable reports folder: the daemon starts, and the diagnostics routes answer 503 saying why.
func TestDiagnosticsWithoutReportsFolder(t *testing.T) {
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "file"), nil, 0o600)
	p := start(t, testConfig(t, dir, "diagnostics:\n  reports_dir: file/reports\n"))
	defer p.stop()
	p.setPassword("correct horse battery")
	tok := p.login("correct horse battery")
	resp, body := p.call("POST", "/diagnostics/reports", nil, bearer(tok)...)
	if resp.StatusCode != 503 || !strings.Contains(body["error"].(string), "no writable reports folder") {
		t.Fatalf("%d %v", resp.StatusCode, body)
	}
}
