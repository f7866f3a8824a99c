package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/persist/boltdb"
)

// The S3 keys and permissions through the real binary: the CLI creates a key (its secret shown
// once), grants it buckets, sets a vault's S3 alias, and REST sees the same; everything survives
// a restart, the secret is not on disk in the clear, and deleting the key takes its grants.
func TestE2ES3KeysAndPermissions(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir, "")
	home := t.TempDir()
	p := start(t, cfg)
	p.setPassword("s3-password")
	env := []string{envPassword + "=s3-password"}
	cli := func(args ...string) cliRun {
		t.Helper()
		return runCLI(t, home, "", env, append(args, "-c", cfg)...).ok(t, strings.Join(args, " "))
	}

	r := cli("s3-key", "add", "--label", "backups", "--can-create-buckets")
	m := regexp.MustCompile(`(?m)^access_key_id: (MH[A-Z0-9]{18})\nsecret_access_key: ([A-Za-z0-9]{40})$`).FindStringSubmatch(r.stdout)
	if m == nil || !strings.Contains(r.stderr, "shown once") {
		t.Fatalf("s3-key add: stdout %q stderr %q", r.stdout, r.stderr)
	}
	id, secret := m[1], m[2]
	r = cli("s3-key", "ls")
	if !strings.HasPrefix(r.stdout, "ACCESS KEY ID") || !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "backups") ||
		!strings.Contains(r.stdout, "yes") || strings.Contains(r.stdout, secret) {
		t.Fatalf("s3-key ls:\n%s", r.stdout)
	}

	if r = cli("s3-perm", "grant", id, "photos", "read,write"); !strings.Contains(r.stdout, "read,write on photos") {
		t.Fatalf("s3-perm grant: %q", r.stdout)
	}
	cli("s3-perm", "grant", id, "backup", "delete", "read")
	bad := runCLI(t, home, "", env, "s3-perm", "grant", id, "photos", "list", "-c", cfg)
	if bad.code != 1 || !strings.Contains(bad.stderr, `"list" is not an operation`) || !strings.Contains(bad.stderr, "HTTP 400") {
		t.Fatalf("grant of an unknown op: exit %d %q", bad.code, bad.stderr)
	}

	// A vault served as a bucket, named by its name on the command line.
	tok := p.login("s3-password")
	v := newVault(t, p, tok, map[string]any{"name": "Photos"})
	if r = cli("vault", "s3-alias", "Photos", "photos"); !strings.Contains(r.stdout, "is S3 bucket photos") {
		t.Fatalf("vault s3-alias: %q", r.stdout)
	}
	if resp, body := p.call("GET", "/vaults/"+v.id, nil, bearer(tok)...); resp.StatusCode != 200 || body["s3_alias"] != "photos" {
		t.Fatalf("the vault after s3-alias: %d %v", resp.StatusCode, body)
	}

	p.stop()
	raw, err := os.ReadFile(filepath.Join(dir, boltdb.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []string{secret, base64.StdEncoding.EncodeToString([]byte(secret))} {
		if bytes.Contains(raw, []byte(enc)) {
			t.Fatal("the secret access key is in the store in the clear")
		}
	}
	p = start(t, cfg)
	tok = p.login("s3-password")
	resp, body := p.call("GET", "/s3/permissions?key_id="+id, nil, bearer(tok)...)
	perms, _ := body["permissions"].([]any)
	if resp.StatusCode != 200 || len(perms) != 2 {
		t.Fatalf("permissions after a restart: %d %v", resp.StatusCode, body)
	}
	if first := perms[0].(map[string]any); first["bucket"] != "backup" || first["ops"].([]any)[0] != "read" || first["ops"].([]any)[1] != "delete" {
		t.Fatalf("first grant: %v", first)
	}
	if r = cli("s3-perm", "ls"); !strings.Contains(r.stdout, "photos") || !strings.Contains(r.stdout, "read,delete") {
		t.Fatalf("s3-perm ls:\n%s", r.stdout)
	}
	cli("s3-perm", "revoke", id, "backup")
	if r = cli("s3-perm", "ls", id); strings.Contains(r.stdout, "backup") || !strings.Contains(r.stdout, "photos") {
		t.Fatalf("s3-perm ls after revoke:\n%s", r.stdout)
	}
	cli("s3-key", "rm", id)
	resp, body = p.call("GET", "/s3/permissions", nil, bearer(tok)...)
	if resp.StatusCode != 200 || len(body["permissions"].([]any)) != 0 {
		t.Fatalf("grants outlived their key: %v", body)
	}
	// Every change is in the audit log, and no record carries the secret.
	resp, body = p.call("GET", "/audit?types=s3_key_created,s3_key_revoked,s3_grant_set,s3_grant_removed", nil, bearer(tok)...)
	recs, _ := body["records"].([]any)
	if resp.StatusCode != 200 || len(recs) != 5 {
		t.Fatalf("audit: %d %v", resp.StatusCode, body)
	}
	if dump := fmt.Sprint(body); strings.Contains(dump, secret) || !strings.Contains(dump, id) {
		t.Fatalf("audit records: %s", dump)
	}
	if gone := runCLI(t, home, "", env, "s3-key", "rm", id, "-c", cfg); gone.code != 1 || !strings.Contains(gone.stderr, "HTTP 404") {
		t.Fatalf("rm of a deleted key: exit %d %q", gone.code, gone.stderr)
	}
	p.stop()
}
