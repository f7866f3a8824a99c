package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The S3 gateway driven by the real command-line clients (aws CLI, rclone, restic) against the
// real daemon: node.s3 on an OS-chosen port, keys and grants made over REST, buckets that are
// vaults with an s3-alias. A missing client skips loudly; MESHHOLD_REQUIRE_S3_CLIENTS=1 (CI)
// turns the skip into a failure. docs/s3.md, "Tests".

// s3Node is a daemon with its S3 gateway on, logged in.
type s3Node struct {
	p        *proc
	tok      string
	endpoint string // http://127.0.0.1:port
}

// s3Key is an access key made over REST.
type s3Key struct{ id, secret string }

// needS3Client returns the path of a client binary, or skips (fails under
// MESHHOLD_REQUIRE_S3_CLIENTS=1) when it is not installed.
func needS3Client(t *testing.T, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err == nil {
		return bin
	}
	if os.Getenv("MESHHOLD_REQUIRE_S3_CLIENTS") == "1" {
		t.Fatalf("%s is required by CI (MESHHOLD_REQUIRE_S3_CLIENTS=1) but is not installed: %v", name, err)
	}
	t.Skipf("SKIPPED: %s is not installed; this S3 compatibility test did not run", name)
	return ""
}

// startS3Node starts a daemon with node.s3 enabled on port 0, sets a password and logs in.
func startS3Node(t *testing.T) *s3Node {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	src := "node:\n  name: alpha\n  listen_addrs: []\n  s3:\n    enabled: true\n    listen_addr: 127.0.0.1:0\napi:\n  bind: 127.0.0.1:0\n"
	if err := os.WriteFile(cfg, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, cfg, "--log-level", "warn")
	endpoint := s3Endpoint(t, p)
	p.setPassword("s3 e2e password")
	return &s3Node{p: p, tok: p.login("s3 e2e password"), endpoint: endpoint}
}

// s3BannerLine is the banner's "S3:     http://<addr> (path-style, …)".
var s3BannerLine = regexp.MustCompile(`(?m)^\s*S3:\s+(http://\S+)`)

// s3Endpoint waits for the banner's S3 line (printed after the API line start waits for) and
// returns the gateway's URL.
func s3Endpoint(tb testing.TB, p *proc) string {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := s3BannerLine.FindStringSubmatch(p.output()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no S3 line in the banner:\n%s", p.output())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// key creates an access key over REST (POST /s3/keys).
func (n *s3Node) key(t *testing.T, label string, canCreate bool) s3Key {
	t.Helper()
	resp, body := n.p.send("POST", "/s3/keys", map[string]any{"label": label, "can_create_buckets": canCreate}, bearer(n.tok)...)
	id, _ := body["access_key_id"].(string)
	secret, _ := body["secret_access_key"].(string)
	if resp.StatusCode != 201 || id == "" || secret == "" {
		t.Fatalf("POST /s3/keys: %d %v", resp.StatusCode, body)
	}
	return s3Key{id: id, secret: secret}
}

// bucket creates a vault over REST, serves it as bucket (PUT /vaults/:id/s3-alias) and grants
// k every op on it (PUT /s3/permissions).
func (n *s3Node) bucket(t *testing.T, bucket string, k s3Key) *vaultClient {
	t.Helper()
	v := newVault(t, n.p, n.tok, map[string]any{"name": "vault of " + bucket})
	if resp, body := n.p.send("PUT", "/vaults/"+v.id+"/s3-alias", map[string]any{"alias": bucket}, bearer(n.tok)...); resp.StatusCode != 200 || body["s3_alias"] != bucket {
		t.Fatalf("PUT s3-alias: %d %v", resp.StatusCode, body)
	}
	n.grant(t, k, bucket)
	return v
}

// grant gives k read, write and delete on bucket.
func (n *s3Node) grant(t *testing.T, k s3Key, bucket string) {
	t.Helper()
	g := map[string]any{"key_id": k.id, "bucket": bucket, "ops": []string{"read", "write", "delete"}}
	if resp, body := n.p.send("PUT", "/s3/permissions", g, bearer(n.tok)...); resp.StatusCode != 200 {
		t.Fatalf("PUT /s3/permissions: %d %v", resp.StatusCode, body)
	}
}

// aliasVault finds the vault serving bucket through GET /vaults.
func (n *s3Node) aliasVault(t *testing.T, bucket string) *vaultClient {
	t.Helper()
	resp, body := n.p.call("GET", "/vaults", nil, bearer(n.tok)...)
	list, _ := body["vaults"].([]any)
	for _, v := range list {
		if m, _ := v.(map[string]any); m["s3_alias"] == bucket {
			return &vaultClient{t: t, p: n.p, tok: n.tok, id: m["id"].(string)}
		}
	}
	t.Fatalf("no vault serves bucket %s: %d %v", bucket, resp.StatusCode, body)
	return nil
}

// tryTool runs a client binary with env added to our environment stripped of AWS_*, RCLONE_*
// and RESTIC_* (an AWS_CA_BUNDLE there breaks rclone and the aws CLI on plain HTTP) and
// returns its combined output.
func tryTool(env []string, bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "RCLONE_") && !strings.HasPrefix(kv, "RESTIC_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// runTool is tryTool failing the test on a non-zero exit, showing the output.
func runTool(t *testing.T, env []string, bin string, args ...string) string {
	t.Helper()
	out, err := tryTool(env, bin, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return out
}

// s3Tree writes a small tree under dir: a subfolder, a name with a space, and a file of big
// bytes (multipart for the clients); it returns the relative paths and their bytes.
func s3Tree(t *testing.T, dir string, seed uint64, big int) map[string][]byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	bytesOf := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	files := map[string][]byte{
		"a.txt":              []byte("hello from the tree\n"),
		"sub/b.bin":          bytesOf(100_000),
		"sub/deeper/c.bin":   bytesOf(3_000),
		"with space.txt":     []byte("a name with a space\n"),
		"sub/big object.bin": bytesOf(big),
	}
	for rel, b := range files {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// sameTree fails unless dir holds exactly want's bytes at want's paths.
func sameTree(t *testing.T, what, dir string, want map[string][]byte) {
	t.Helper()
	got := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if w, ok := want[filepath.ToSlash(rel)]; !ok || !bytes.Equal(b, w) {
			return fmt.Errorf("%s: %d bytes, not the uploaded ones (expected: %t)", rel, len(b), ok)
		}
		got++
		return nil
	})
	if err != nil || got != len(want) {
		t.Fatalf("%s: %d of %d files: %v", what, got, len(want), err)
	}
}

// The aws CLI (v1.45, CRC32 checksums by default, multipart above 8 MiB): mb with a key that
// may create buckets (the bucket is a new vault), cp up and down incl. a multipart object, ls,
// sync, put-object of a folder marker, rm; REST sees what the CLI wrote.
func TestE2ES3AWSCLI(t *testing.T) {
	bin := needS3Client(t, "aws")
	n := startS3Node(t)
	k := n.key(t, "aws-cli", true)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "aws-config")
	if err := os.WriteFile(cfg, []byte("[default]\nregion = meshhold\ns3 =\n  addressing_style = path\n  multipart_threshold = 8MB\n  multipart_chunksize = 8MB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"AWS_CONFIG_FILE=" + cfg, "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"),
		"AWS_ACCESS_KEY_ID=" + k.id, "AWS_SECRET_ACCESS_KEY=" + k.secret, "AWS_CA_BUNDLE=", "AWS_PAGER="}
	aws := func(args ...string) string {
		t.Helper()
		return runTool(t, env, bin, append([]string{"--endpoint-url", n.endpoint}, args...)...)
	}

	aws("s3", "mb", "s3://made-by-cli")
	v := n.aliasVault(t, "made-by-cli") // mb made a vault with that alias
	if out := aws("s3", "ls"); !strings.Contains(out, "made-by-cli") {
		t.Fatalf("aws s3 ls after mb:\n%s", out)
	}
	src := filepath.Join(dir, "src")
	files := s3Tree(t, src, 11, 12<<20)
	big := files["sub/big object.bin"]
	aws("s3", "cp", filepath.Join(src, "a.txt"), "s3://made-by-cli/one/a.txt")
	aws("s3", "cp", filepath.Join(src, "sub", "big object.bin"), "s3://made-by-cli/one/big object.bin") // multipart
	back := filepath.Join(dir, "back.bin")
	aws("s3", "cp", "s3://made-by-cli/one/big object.bin", back)
	if b, _ := os.ReadFile(back); !bytes.Equal(b, big) {
		t.Fatalf("aws s3 cp down: %d bytes, not the uploaded ones", len(b))
	}
	if resp, b := v.get("/download/one/big object.bin"); resp.StatusCode != 200 || !bytes.Equal(b, big) {
		t.Fatalf("REST download of the multipart object: %d, %d bytes", resp.StatusCode, len(b))
	}
	aws("s3", "sync", src, "s3://made-by-cli/synced/")
	aws("s3api", "put-object", "--bucket", "made-by-cli", "--key", "folder/")
	ls := aws("s3", "ls", "--recursive", "s3://made-by-cli/")
	for _, key := range []string{"one/a.txt", "one/big object.bin", "synced/a.txt", "synced/with space.txt", "synced/sub/big object.bin", "synced/sub/deeper/c.bin", "folder/"} {
		if !strings.Contains(ls, key+"\n") {
			t.Fatalf("aws s3 ls lacks %q:\n%s", key, ls)
		}
	}
	if out := aws("s3", "sync", src, "s3://made-by-cli/synced/"); strings.Contains(out, "upload:") {
		t.Fatalf("a second sync uploaded again:\n%s", out)
	}
	down := filepath.Join(dir, "down")
	aws("s3", "sync", "s3://made-by-cli/synced/", down)
	sameTree(t, "aws s3 sync down", down, files)

	aws("s3", "rm", "--recursive", "s3://made-by-cli/one/")
	if ls = aws("s3", "ls", "s3://made-by-cli/"); strings.Contains(ls, "one/") || !strings.Contains(ls, "PRE synced/") || !strings.Contains(ls, "PRE folder/") {
		t.Fatalf("aws s3 ls after rm:\n%s", ls)
	}
	if resp, _ := v.get("/download/one/a.txt"); resp.StatusCode != 404 {
		t.Fatalf("REST download after aws s3 rm: %d", resp.StatusCode)
	}
	// A key without the create flag cannot make a bucket.
	plain := n.key(t, "no-create", false)
	env = append(env, "AWS_ACCESS_KEY_ID="+plain.id, "AWS_SECRET_ACCESS_KEY="+plain.secret) // the later value wins
	if out, err := tryTool(env, bin, "--endpoint-url", n.endpoint, "s3", "mb", "s3://not-allowed"); err == nil || !strings.Contains(out, "AccessDenied") {
		t.Fatalf("mb without the create flag: %v\n%s", err, out)
	}
}

// rclone (S3 provider "Other", path style): copy, sync and check of a tree with a subfolder,
// a name with a space and a 20 MiB object uploaded in 5 MiB parts; check finds 0 differences;
// a REST upload is visible to rclone and an rclone upload downloads through REST.
func TestE2ES3Rclone(t *testing.T) {
	bin := needS3Client(t, "rclone")
	n := startS3Node(t)
	k := n.key(t, "rclone", false)
	v := n.bucket(t, "rclone-bucket", k)
	dir := t.TempDir()
	env := []string{"RCLONE_CONFIG=" + filepath.Join(dir, "rclone.conf"), "RCLONE_CONFIG_MH_TYPE=s3", "RCLONE_CONFIG_MH_PROVIDER=Other",
		"RCLONE_CONFIG_MH_ENDPOINT=" + n.endpoint, "RCLONE_CONFIG_MH_ACCESS_KEY_ID=" + k.id,
		"RCLONE_CONFIG_MH_SECRET_ACCESS_KEY=" + k.secret, "RCLONE_CONFIG_MH_REGION=meshhold",
		"RCLONE_CONFIG_MH_FORCE_PATH_STYLE=true", "HOME=" + dir}
	rclone := func(args ...string) string {
		t.Helper()
		return runTool(t, env, bin, append(args, "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M")...)
	}
	if err := os.WriteFile(filepath.Join(dir, "rclone.conf"), nil, 0o600); err != nil { // all of it is in env
		t.Fatal(err)
	}
	src := filepath.Join(dir, "src")
	files := s3Tree(t, src, 21, 20<<20)
	rclone("copy", src, "mh:rclone-bucket/tree")
	if out := rclone("check", src, "mh:rclone-bucket/tree"); !strings.Contains(out, "0 differences found") {
		t.Fatalf("rclone check after copy:\n%s", out)
	}
	if resp, b := v.get("/download/tree/sub/big object.bin"); resp.StatusCode != 200 || !bytes.Equal(b, files["sub/big object.bin"]) {
		t.Fatalf("REST download of rclone's multipart object: %d, %d bytes", resp.StatusCode, len(b))
	}
	if resp, b := v.get("/download/tree/with space.txt"); resp.StatusCode != 200 || !bytes.Equal(b, files["with space.txt"]) {
		t.Fatalf("REST download of rclone's upload: %d %q", resp.StatusCode, b)
	}

	// Change the tree: one file gone, one changed, one new; sync mirrors it.
	if err := os.Remove(filepath.Join(src, "sub", "deeper", "c.bin")); err != nil {
		t.Fatal(err)
	}
	delete(files, "sub/deeper/c.bin")
	files["a.txt"] = []byte("changed after the copy\n")
	files["sub/new.txt"] = []byte("new after the copy\n")
	for _, rel := range []string{"a.txt", "sub/new.txt"} {
		if err := os.WriteFile(filepath.Join(src, filepath.FromSlash(rel)), files[rel], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rclone("sync", src, "mh:rclone-bucket/tree")
	if out := rclone("check", src, "mh:rclone-bucket/tree"); !strings.Contains(out, "0 differences found") {
		t.Fatalf("rclone check after sync:\n%s", out)
	}
	if resp, _ := v.get("/download/tree/sub/deeper/c.bin"); resp.StatusCode != 404 {
		t.Fatalf("a file sync removed still downloads through REST: %d", resp.StatusCode)
	}
	down := filepath.Join(dir, "down")
	rclone("copy", "mh:rclone-bucket/tree", down)
	sameTree(t, "rclone copy down", down, files)

	// REST → rclone.
	rest := []byte("uploaded through the REST API\n")
	if resp, body := v.upload("/rest/hello.txt", rest, 0); resp.StatusCode != 201 {
		t.Fatalf("REST upload: %d %v", resp.StatusCode, body)
	}
	if out := rclone("cat", "mh:rclone-bucket/rest/hello.txt"); out != string(rest) {
		t.Fatalf("rclone cat of a REST upload: %q", out)
	}
	if out := rclone("lsf", "-R", "mh:rclone-bucket/"); !strings.Contains(out, "rest/hello.txt\n") || !strings.Contains(out, "tree/with space.txt\n") {
		t.Fatalf("rclone lsf:\n%s", out)
	}
	// Without a grant, rclone is refused.
	other := n.key(t, "no-grant", false)
	env = append(env, "RCLONE_CONFIG_MH_ACCESS_KEY_ID="+other.id, "RCLONE_CONFIG_MH_SECRET_ACCESS_KEY="+other.secret)
	if out, err := tryTool(env, bin, "lsf", "mh:rclone-bucket/"); err == nil || !strings.Contains(out, "AccessDenied") {
		t.Fatalf("rclone lsf without a grant: %v\n%s", err, out)
	}
}

// restic (minio-go underneath): init against a bucket that exists (a vault with an alias) and
// against one it must create (a key that may create buckets), backup, check, restore; the
// restored tree is the backed-up one.
func TestE2ES3Restic(t *testing.T) {
	bin := needS3Client(t, "restic")
	n := startS3Node(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	files := s3Tree(t, src, 31, 6<<20)
	existing := n.key(t, "restic-existing", false)
	n.bucket(t, "restic-existing", existing)
	creator := n.key(t, "restic-creator", true)

	for _, c := range []struct {
		bucket string
		k      s3Key
	}{{"restic-existing", existing}, {"restic-created", creator}} {
		env := []string{"RESTIC_REPOSITORY=s3:" + n.endpoint + "/" + c.bucket, "RESTIC_PASSWORD=restic e2e",
			"AWS_ACCESS_KEY_ID=" + c.k.id, "AWS_SECRET_ACCESS_KEY=" + c.k.secret, "AWS_CA_BUNDLE=",
			"RESTIC_CACHE_DIR=" + filepath.Join(dir, "cache-"+c.bucket), "HOME=" + dir}
		restic := func(args ...string) string {
			t.Helper()
			return runTool(t, env, bin, args...)
		}
		if out := restic("init"); !strings.Contains(out, "created restic repository") {
			t.Fatalf("%s: restic init:\n%s", c.bucket, out)
		}
		restic("backup", "--host", "e2e", src)
		if out := restic("check", "--read-data"); !strings.Contains(out, "no errors were found") {
			t.Fatalf("%s: restic check:\n%s", c.bucket, out)
		}
		target := filepath.Join(dir, "restore-"+c.bucket)
		restic("restore", "latest", "--target", target)
		sameTree(t, c.bucket+": restic restore", filepath.Join(target, src), files)
	}
	v := n.aliasVault(t, "restic-created") // restic's CreateBucket made a vault
	if resp, b := v.get("/download/config"); resp.StatusCode != 200 || len(b) == 0 {
		t.Fatalf("the repository's config file through REST: %d, %d bytes", resp.StatusCode, len(b))
	}
}
