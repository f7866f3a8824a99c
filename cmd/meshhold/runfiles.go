package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/meshhold/meshhold/persist/configfile"
)

// The files a running daemon keeps in its metadata folder, each mode 0600 and removed at a
// clean stop: the CLI finds the daemon and proves local authority through them.
const (
	adminTokenFile = "cli-admin.token" // X-MeshHold-Admin-Token, new at each start
	bootstrapSock  = "bootstrap.sock"  // POST /ticket mints a bootstrap ticket
	runFile        = "daemon.json"     // where the running daemon listens
)

// runInfo is daemon.json.
type runInfo struct {
	PID       int    `json:"pid"`
	APIURL    string `json:"api_url"`
	StartedMs int64  `json:"started_at_ms"`
}

// writeAdminToken creates a fresh admin token file and returns the constant-time checker.
func writeAdminToken(dir string) (func(string) bool, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	token := hex.EncodeToString(b)
	if err := configfile.WriteAtomic(filepath.Join(dir, adminTokenFile), []byte(token+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write admin token: %w", err)
	}
	return func(presented string) bool {
		return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(presented)), []byte(token)) == 1
	}, nil
}

// readAdminToken reads the running daemon's admin token.
func readAdminToken(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, adminTokenFile))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// writeRunInfo records where the daemon listens.
func writeRunInfo(dir, apiURL string, started time.Time) error {
	b, _ := json.Marshal(runInfo{PID: os.Getpid(), APIURL: apiURL, StartedMs: started.UnixMilli()})
	return configfile.WriteAtomic(filepath.Join(dir, runFile), append(b, '\n'), 0o600)
}

// readRunInfo reads daemon.json; fs.ErrNotExist when no daemon wrote one.
func readRunInfo(dir string) (runInfo, error) {
	var ri runInfo
	b, err := os.ReadFile(filepath.Join(dir, runFile))
	if err != nil {
		return ri, err
	}
	return ri, json.Unmarshal(b, &ri)
}

// listenBootstrap opens the bootstrap socket at mode 0600 and serves h on it.
func listenBootstrap(dir string, h http.Handler) (*http.Server, net.Listener, error) {
	path := filepath.Join(dir, bootstrapSock)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err // a stale socket from a crash; the store lock proved nobody uses it
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, nil, fmt.Errorf("bootstrap socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("bootstrap socket: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, ln, nil
}

// removeRunFiles deletes the files of a running daemon at a clean stop.
func removeRunFiles(dir string) {
	for _, f := range []string{adminTokenFile, bootstrapSock, runFile} {
		_ = os.Remove(filepath.Join(dir, f))
	}
}
