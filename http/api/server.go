package api

import (
	"log/slog"
	"net/http"
	"time"
)

// Server limits. There is no read or write timeout: uploads, downloads and event streams run
// for as long as they move bytes, and handlers bound their own work with deadlines.
const (
	ReadHeaderTimeout = 10 * time.Second
	IdleTimeout       = 120 * time.Second
	MaxHeaderBytes    = 64 << 10
)

// NewServer returns an http.Server for handler with MeshHold's limits; net/http's own error
// log (TLS handshake failures, hijack trouble) goes to log at warn. The caller sets Addr and,
// for TLS, TLSConfig.
func NewServer(handler http.Handler, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: ReadHeaderTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
