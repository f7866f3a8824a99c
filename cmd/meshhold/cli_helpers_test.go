package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// cliRun is one run of the meshhold binary as a client.
type cliRun struct {
	stdout, stderr string
	code           int
}

// runCLI runs the binary with args, HOME set to home, the extra NAME=value env and stdin;
// credentials in the test's own environment are not passed on.
func runCLI(t *testing.T, home, stdin string, env []string, args ...string) cliRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envToken+"=") && !strings.HasPrefix(kv, envPassword+"=") && !strings.HasPrefix(kv, "HOME=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, "HOME="+home), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("meshhold %v: %v", args, err)
	}
	return cliRun{stdout: out.String(), stderr: errOut.String(), code: cmd.ProcessState.ExitCode()}
}

// ok fails the test unless the run exited 0.
func (r cliRun) ok(t *testing.T, what string) cliRun {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", what, r.code, r.stdout, r.stderr)
	}
	return r
}

// cliPost sends v as JSON to the daemon, with an optional bearer.
func cliPost(p *proc, path string, v any, bearerToken string) (int, map[string]any) {
	p.t.Helper()
	b, _ := json.Marshal(v)
	header := []string{"Content-Type", "application/json"}
	if bearerToken != "" {
		header = append(header, "Authorization", "Bearer "+bearerToken)
	}
	resp, body := p.call("POST", path, bytes.NewReader(b), header...)
	return resp.StatusCode, body
}

// cliLogin logs in with pw and returns the session bearer.
func cliLogin(t *testing.T, p *proc, pw string) string {
	t.Helper()
	code, body := cliPost(p, "/auth/login", map[string]string{"password": pw}, "")
	if code != 200 {
		t.Fatalf("login: %d %v", code, body)
	}
	return body["token"].(string)
}

// cliWhoami is the status of GET /whoami with tok.
func cliWhoami(p *proc, tok string) int {
	p.t.Helper()
	resp, _ := p.call("GET", "/whoami", nil, "Authorization", "Bearer "+tok)
	return resp.StatusCode
}
