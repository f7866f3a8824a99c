package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the meshhold binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "meshhold-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "meshhold")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build meshhold: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running meshhold daemon started by a test.
type proc struct {
	t      testing.TB
	cmd    *exec.Cmd
	api    string // base URL, http://127.0.0.1:port/api/v1
	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan struct{}
	err    error
	client *http.Client // nil: http.DefaultClient
	dir    string       // the metadata folder (the config's folder in tests)
}

// testConfig writes a config for dir with an OS-chosen API port and no mesh listener.
func testConfig(t *testing.T, dir, extra string) string {
	t.Helper()
	path := filepath.Join(dir, "config.yaml")
	src := "# test node\nnode:\n  name: alpha\n  listen_addrs: []\napi:\n  bind: 127.0.0.1:0\n" + extra
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// launch starts the daemon on config and returns without waiting for it to be ready.
func launch(t testing.TB, config string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, done: make(chan struct{}), dir: filepath.Dir(config)}
	p.cmd = exec.Command(binary, append([]string{"daemon", "-c", config, "--log-format", "json"}, args...)...)
	p.cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	outPipe, _ := p.cmd.StdoutPipe()
	p.cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.stderr}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(outPipe)
		for sc.Scan() {
			p.mu.Lock()
			p.stdout.WriteString(sc.Text() + "\n")
			if api, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "API:"); ok {
				p.api = strings.TrimSpace(api)
			}
			p.mu.Unlock()
		}
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

// start launches the daemon and waits until it prints its API URL.
func start(t testing.TB, config string, args ...string) *proc {
	t.Helper()
	p := launch(t, config, args...)
	deadline := time.Now().Add(20 * time.Second)
	for {
		p.mu.Lock()
		api := p.api
		p.mu.Unlock()
		if api != "" {
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("daemon exited before it was ready: %v\n%s", p.err, p.output())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon not ready after 20 s:\n%s", p.output())
		}
	}
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return "stdout:\n" + p.stdout.String() + "stderr:\n" + p.stderr.String()
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(limit time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		p.t.Fatalf("daemon still running after %s:\n%s", limit, p.output())
	}
	if p.cmd.ProcessState == nil {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// stop sends SIGTERM and requires a clean exit.
func (p *proc) stop() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(30 * time.Second); code != 0 {
		p.t.Fatalf("daemon exited with %d after SIGTERM:\n%s", code, p.output())
	}
}

func (p *proc) kill() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// call sends a request to the daemon's API and decodes a JSON answer into a map.
func (p *proc) call(method, path string, body io.Reader, header ...string) (*http.Response, map[string]any) {
	p.t.Helper()
	req, err := http.NewRequest(method, p.api+path, body)
	if err != nil {
		p.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := p.client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(raw) > 0 && json.Unmarshal(raw, &m) != nil {
		p.t.Fatalf("%s %s: body is not JSON: %q", method, path, raw)
	}
	return resp, m
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// send sends v as a JSON body.
func (p *proc) send(method, path string, v any, header ...string) (*http.Response, map[string]any) {
	p.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		p.t.Fatal(err)
	}
	return p.call(method, path, bytes.NewReader(b), append([]string{"Content-Type", "application/json"}, header...)...)
}

// adminToken reads the running daemon's admin token from its metadata folder.
func (p *proc) adminToken() string {
	p.t.Helper()
	tok, err := readAdminToken(p.dir)
	if err != nil {
		p.t.Fatal(err)
	}
	return tok
}

// setPassword sets the password through the admin-token route.
func (p *proc) setPassword(pw string) {
	p.t.Helper()
	if resp, body := p.send("POST", "/auth/admin/set-password", map[string]string{"password": pw}, "X-MeshHold-Admin-Token", p.adminToken()); resp.StatusCode != 204 {
		p.t.Fatalf("set password: %d %v", resp.StatusCode, body)
	}
}

// login returns a session bearer for pw.
func (p *proc) login(pw string) string {
	p.t.Helper()
	resp, body := p.send("POST", "/auth/login", map[string]string{"password": pw})
	if resp.StatusCode != 200 {
		p.t.Fatalf("login: %d %v", resp.StatusCode, body)
	}
	return body["token"].(string)
}

// bearer is the Authorization header pair for tok.
func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
