package s3_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAWSCLI drives the gateway with the aws CLI (v1, CRC32 checksums by default,
// encoding-type=url listings, multipart above 8 MiB): cp up and down, a multipart cp, ls,
// sync, a folder-marker put-object, rm. It skips, loudly, without the aws command.
func TestAWSCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("aws CLI run: not in -short")
	}
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("SKIPPED: the aws CLI is not installed; this S3 compatibility test did not run")
	}
	r := newRig(t, 0)
	r.vault("cli-bucket")
	r.key("cliuser", "cli-bucket", "read", "write", "delete")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	must(t, os.WriteFile(cfg, []byte("[default]\nregion = meshhold\ns3 =\n  addressing_style = path\n  multipart_threshold = 8MB\n  multipart_chunksize = 8MB\n"), 0o600))
	env := append(os.Environ(), "AWS_CONFIG_FILE="+cfg, "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"),
		"AWS_ACCESS_KEY_ID=cliuser", "AWS_SECRET_ACCESS_KEY=secret-of-cliuser", "AWS_CA_BUNDLE=", "AWS_PAGER=")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--endpoint-url", r.srv.URL}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	small, big := make([]byte, 100_000), make([]byte, 20<<20)
	for _, b := range [][]byte{small, big} {
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
	}
	src := filepath.Join(dir, "src")
	must(t, os.MkdirAll(filepath.Join(src, "sub"), 0o755))
	must(t, os.WriteFile(filepath.Join(src, "small.bin"), small, 0o600))
	must(t, os.WriteFile(filepath.Join(src, "sub", "big file.bin"), big, 0o600))

	run("s3", "cp", filepath.Join(src, "small.bin"), "s3://cli-bucket/one/small.bin")
	run("s3", "cp", filepath.Join(src, "sub", "big file.bin"), "s3://cli-bucket/one/big file.bin") // multipart
	run("s3", "cp", "s3://cli-bucket/one/big file.bin", filepath.Join(dir, "back.bin"))
	if back, _ := os.ReadFile(filepath.Join(dir, "back.bin")); !bytes.Equal(back, big) {
		t.Fatalf("aws s3 cp down: %d bytes, not the uploaded ones", len(back))
	}
	run("s3", "sync", src, "s3://cli-bucket/synced/")
	run("s3api", "put-object", "--bucket", "cli-bucket", "--key", "folder/")
	ls := run("s3", "ls", "--recursive", "s3://cli-bucket/")
	for _, k := range []string{"one/small.bin", "one/big file.bin", "synced/small.bin", "synced/sub/big file.bin", "folder/"} {
		if !strings.Contains(ls, k+"\n") {
			t.Fatalf("aws s3 ls lacks %q:\n%s", k, ls)
		}
	}
	if out := run("s3", "sync", src, "s3://cli-bucket/synced/"); strings.Contains(out, "upload:") {
		t.Fatalf("a second sync uploaded again:\n%s", out)
	}
	run("s3", "rm", "--recursive", "s3://cli-bucket/one/")
	if ls = run("s3", "ls", "s3://cli-bucket/"); strings.Contains(ls, "one/") || !strings.Contains(ls, "PRE synced/") {
		t.Fatalf("aws s3 ls after rm:\n%s", ls)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
