package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/meshhold/meshhold/actors/audit"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/boltdb"
)

// The audit ring end to end: a password set with the daemon stopped and one set through it, a failed login (with the client's IP), a
// login, a token created and revoked are recorded; the export verifies by docs/audit.md; one
// record edited in the stopped node's file is reported by `meshhold audit verify` (exit 1),
// and after a restart by GET /audit, GET /audit/verify and the CLI through the daemon.
func TestAuditEndToEnd(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir, "")
	home := t.TempDir()
	runCLI(t, home, "first password\n", nil, "set-password", "-c", cfg, "--password-stdin").ok(t, "set-password (daemon stopped)")
	p := start(t, cfg)
	p.setPassword("audit password")
	if resp, _ := p.send("POST", "/auth/login", map[string]string{"password": "wrong password"}); resp.StatusCode != 401 {
		t.Fatalf("a wrong password: %d", resp.StatusCode)
	}
	tok := p.login("audit password")
	resp, body := p.send("POST", "/auth/tokens", map[string]string{"name": "ci"}, bearer(tok)...)
	if resp.StatusCode != 201 {
		t.Fatalf("create token: %d %v", resp.StatusCode, body)
	}
	if resp, _ := p.call("DELETE", "/auth/tokens/"+body["id"].(string), nil, bearer(tok)...); resp.StatusCode != 204 {
		t.Fatalf("revoke token: %d", resp.StatusCode)
	}

	page := p.auditPage("/audit", tok)
	var types []string
	failed := uint64(0)
	for _, r := range page.Records {
		types = append(types, r.Type)
		if r.Type == "login_failed" {
			failed = r.Seq
			var data map[string]any
			if json.Unmarshal(r.Data, &data) != nil || data["ip"] != "127.0.0.1" {
				t.Fatalf("login_failed data: %s", r.Data)
			}
		}
	}
	if got := strings.Join(types, ","); !strings.HasPrefix(got, "token_revoked,token_created,login_succeeded,login_failed,password_changed") || !page.Integrity.OK {
		t.Fatalf("records newest first: %s, integrity %+v", got, page.Integrity)
	}
	if oldest := page.Records[len(page.Records)-1]; oldest.Seq != 1 || oldest.Type != "password_changed" || !strings.Contains(string(oldest.Data), `"via":"cli"`) {
		t.Fatalf("the offline set-password is not the first record: %+v", oldest)
	}
	if page := p.auditPage("/audit?types=login_failed,logged_out", tok); len(page.Records) != 1 || page.Records[0].Seq != failed {
		t.Fatalf("types filter: %+v", page.Records)
	}
	lines := p.auditExport(tok)
	if err := checkAuditLines(lines); err != nil || len(lines) != len(page.Records) {
		t.Fatalf("export: %d lines (%d records): %v", len(lines), len(page.Records), err)
	}
	tokEnv := []string{envToken + "=" + tok}
	r := runCLI(t, home, "", tokEnv, "audit", "verify", "-c", cfg).ok(t, "audit verify (daemon running)")
	if !strings.Contains(r.stdout, "Audit chain OK") || !strings.Contains(r.stdout, "running daemon") {
		t.Fatalf("audit verify:\n%s", r.stdout)
	}
	r = runCLI(t, home, "", tokEnv, "audit", "ls", "--types", "login_failed", "-c", cfg).ok(t, "audit ls")
	if !strings.Contains(r.stdout, "login_failed") || !strings.Contains(r.stdout, "ip=127.0.0.1") {
		t.Fatalf("audit ls:\n%s", r.stdout)
	}
	p.stop()

	r = runCLI(t, home, "", nil, "audit", "verify", "-c", cfg).ok(t, "audit verify (daemon stopped)")
	if !strings.Contains(r.stdout, "Audit chain OK") || !strings.Contains(r.stdout, "stopped daemon") {
		t.Fatalf("offline audit verify:\n%s", r.stdout)
	}
	editAuditRecord(t, filepath.Join(dir, boltdb.FileName), failed, "127.0.0.1", "10.6.6.6")
	r = runCLI(t, home, "", nil, "audit", "verify", "-c", cfg)
	want := fmt.Sprintf("BROKEN at record %d", failed)
	if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stdout, want) {
		t.Fatalf("offline audit verify after the edit: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	p = start(t, cfg)
	tok = p.login("audit password")
	if page := p.auditPage("/audit", tok); page.Integrity.OK || page.Integrity.BrokenAt != failed {
		t.Fatalf("GET /audit after the edit: %+v", page.Integrity)
	}
	resp, body = p.call("GET", "/audit/verify", nil, bearer(tok)...)
	if resp.StatusCode != 200 || body["ok"] != false || body["broken_at"] != float64(failed) {
		t.Fatalf("GET /audit/verify after the edit: %d %v", resp.StatusCode, body)
	}
	r = runCLI(t, home, "", []string{envToken + "=" + tok}, "audit", "verify", "-c", cfg)
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Fatalf("audit verify through the daemon after the edit: exit %d\n%s", r.code, r.stderr)
	}
	if lines := p.auditExport(tok); checkAuditLines(lines) == nil {
		t.Fatal("the export of the edited ring still verifies")
	}
	p.stop()
}

// auditPage is GET path (an /audit query) with tok.
func (p *proc) auditPage(path, tok string) struct {
	Records   []audit.Record  `json:"records"`
	Integrity audit.Integrity `json:"integrity"`
} {
	p.t.Helper()
	var page struct {
		Records   []audit.Record  `json:"records"`
		Integrity audit.Integrity `json:"integrity"`
	}
	resp, body := p.call("GET", path, nil, bearer(tok)...)
	if resp.StatusCode != 200 {
		p.t.Fatalf("GET %s: %d %v", path, resp.StatusCode, body)
	}
	b, _ := json.Marshal(body)
	if err := json.Unmarshal(b, &page); err != nil {
		p.t.Fatal(err)
	}
	return page
}

// auditExport downloads GET /audit/export with ?token=, as a browser link would.
func (p *proc) auditExport(tok string) [][]byte {
	p.t.Helper()
	resp, err := http.Get(p.api + "/audit/export?token=" + tok)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		p.t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var lines [][]byte
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		lines = append(lines, bytes.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil && err != io.EOF {
		p.t.Fatal(err)
	}
	return lines
}

// checkAuditLines verifies exported lines as docs/audit.md tells anyone to: drop the final
// `,"hash":"…"` member to get the body, SHA-256 the prev's bytes and the body, compare with
// hash, and check each prev is the hash before it.
func checkAuditLines(lines [][]byte) error {
	var last string
	for _, line := range lines {
		var rec struct {
			Seq        uint64
			Prev, Hash string
		}
		if err := json.Unmarshal(line, &rec); err != nil || len(line) < 75 {
			return fmt.Errorf("line %q: %v", line, err)
		}
		prev, _ := hex.DecodeString(rec.Prev)
		sum := sha256.Sum256(append(prev, append(bytes.Clone(line[:len(line)-75]), '}')...))
		if hex.EncodeToString(sum[:]) != rec.Hash {
			return fmt.Errorf("record %d: hash mismatch", rec.Seq)
		}
		if last != "" && rec.Prev != last {
			return fmt.Errorf("record %d: prev is not the hash of the record before", rec.Seq)
		}
		last = rec.Hash
	}
	return nil
}

// editAuditRecord replaces old by new in the stored bytes of record seq, in the stopped
// node's bbolt file, as someone with the file would.
func editAuditRecord(t *testing.T, path string, seq uint64, old, new string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(persist.Audit))
		v := b.Get([]byte(audit.Key(seq)))
		if !bytes.Contains(v, []byte(old)) {
			return fmt.Errorf("record %d has no %q: %s", seq, old, v)
		}
		return b.Put([]byte(audit.Key(seq)), bytes.Replace(bytes.Clone(v), []byte(old), []byte(new), 1))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// After a crash the daemon's daemon.json is left behind; `audit verify` still reads the stopped
// store instead of asking an API nobody answers for credentials.
func TestAuditVerifyAfterCrashNeedsNoCredentials(t *testing.T) {
	cfg := testConfig(t, t.TempDir(), "")
	p := start(t, cfg)
	p.setPassword("some password")
	p.kill()
	cmd := exec.Command(binary, "audit", "verify", "-c", cfg)
	cmd.Env = append(os.Environ(), "MESHHOLD_TOKEN=", "MESHHOLD_PASSWORD=")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Audit chain OK") {
		t.Fatalf("audit verify after a crash: %v\n%s", err, out)
	}
}
