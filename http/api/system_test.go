package api_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/http/api"
)

func TestVersion(t *testing.T) {
	h := api.NewRouter((&api.System{Version: "0.7.63"}).Routes(), api.RouterDeps{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/version", nil))
	var body api.VersionReply
	if err := json.Unmarshal(rec.Body.Bytes(), &body); rec.Code != 200 || err != nil || body.Version != "0.7.63" {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
}

func TestServerLimits(t *testing.T) {
	var logged strings.Builder
	srv := api.NewServer(http.NotFoundHandler(), slog.New(slog.NewTextHandler(&logged, nil)))
	if srv.ReadHeaderTimeout != api.ReadHeaderTimeout || srv.MaxHeaderBytes != 64<<10 || srv.IdleTimeout != 120*time.Second || srv.WriteTimeout != 0 || srv.ReadTimeout != 0 {
		t.Errorf("limits %+v", srv)
	}
	srv.ErrorLog.Print("http: TLS handshake error from 192.0.2.1:1: EOF")
	if !strings.Contains(logged.String(), "level=WARN") || !strings.Contains(logged.String(), "handshake") {
		t.Errorf("ErrorLog does not reach slog at warn: %q", logged.String())
	}
}
