package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// OpenListener is the opt-in plain-HTTP listener serving GET /metrics without credentials.
type OpenListener struct {
	srv *http.Server
	ln  net.Listener
}

// ListenOpen starts the open listener of cfg serving h at Path (404 elsewhere); it returns nil
// and no error when cfg.Listen is empty, and warns when the address is not loopback.
func ListenOpen(cfg Config, h http.Handler, log *slog.Logger) (*OpenListener, error) {
	if cfg.Listen == "" {
		return nil, nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("metrics.prometheus_listen %s: %w", cfg.Listen, err)
	}
	if !cfg.Loopback() {
		log.Warn("metrics.prometheus_listen is not a loopback address: anyone who can reach it reads the metrics without credentials",
			"addr", ln.Addr().String())
	}
	mux := http.NewServeMux()
	mux.Handle(Path, h)
	o := &OpenListener{ln: ln, srv: &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}}
	go func() {
		if err := o.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	log.Info("serving Prometheus metrics without credentials", "url", "http://"+ln.Addr().String()+Path)
	return o, nil
}

// Addr is the address the listener is bound to (useful with port 0).
func (o *OpenListener) Addr() net.Addr { return o.ln.Addr() }

// Shutdown stops the listener, waiting for scrapes in progress until ctx ends; nil is a no-op.
func (o *OpenListener) Shutdown(ctx context.Context) error {
	if o == nil {
		return nil
	}
	return o.srv.Shutdown(ctx)
}

// Close stops the listener at once, dropping scrapes in progress; nil is a no-op.
func (o *OpenListener) Close() error {
	if o == nil {
		return nil
	}
	return o.srv.Close()
}
