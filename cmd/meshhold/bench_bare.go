package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
)

// serveBare serves a bare net/http handler answering like /whoami, in the daemon's process:
// the anchor the full stack (auth, router, actor hop) is benchmarked against.
func serveBare(addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--bench-bare-listen: %w", err)
	}
	body := []byte(`{"node_id":"12D3KooWbare","name":"bare"}` + "\n")
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})}
	go func() { _ = srv.Serve(ln) }()
	log.Warn("benchmark anchor: serving a bare handler", "addr", ln.Addr().String())
	return nil
}
