package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
)

func TestErrorTable(t *testing.T) {
	secret := "bbolt: /var/lib/meshhold/meta.db: input/output error"
	for _, tc := range []struct {
		err    error
		status int
		body   string
	}{
		{messages.NotFound("vault"), 404, "vault not found"},
		{fmt.Errorf("room r1: %w", messages.ErrConflict), 409, "room r1: conflict"},
		{messages.ErrLocked, 403, "locked"},
		{messages.ErrForbidden, 403, "forbidden"},
		{messages.ErrUnauthorized, 401, "unauthorized"},
		{messages.ErrPreconditionFailed, 412, "precondition failed"},
		{messages.Invalid("name", "is required"), 400, "name: is required"},
		{fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 10}), 413, "the limit is 10 bytes"},
		{fmt.Errorf("%s: %w", secret, messages.ErrStorage), 503, messages.ErrStorage.Error()},
		{fmt.Errorf("%s: %w", secret, messages.ErrUnavailable), 503, messages.ErrUnavailable.Error()},
		{messages.LimitedMode("no swarm key; run POST /system/setup"), 503, "limited mode: no swarm key; run POST /system/setup"},
		{fmt.Errorf("POST /vpn on linux: %w", messages.ErrNotImplemented), 501, "POST /vpn on linux: not implemented on this platform"},
		{fmt.Errorf("ask vault/v1: %w", context.DeadlineExceeded), 504, "did not answer in time"},
		{&messages.RetryAfterError{Err: fmt.Errorf("login locked: %w", messages.ErrTooManyRequests), After: 1500 * time.Millisecond}, 429, "login locked"},
		{fmt.Errorf("%w: no password is set yet", messages.ErrSetupRequired), 503, "setup required: no password is set yet"},
		{errors.New(secret), 500, "internal error"},
	} {
		var logged bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logged, nil))
		h := api.NewRouter([]api.Route{{Method: "GET", Pattern: "/x", Access: api.Open, Handler: func(w http.ResponseWriter, r *http.Request) {
			api.WriteError(w, r, tc.err)
		}}}, api.RouterDeps{Logger: log})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/x", nil))
		msg := errorOf(t, rec)
		if rec.Code != tc.status || !strings.Contains(msg, tc.body) {
			t.Errorf("%v: %d %q, want %d containing %q", tc.err, rec.Code, msg, tc.status, tc.body)
		}
		if strings.Contains(msg, secret) {
			t.Errorf("%v: the body leaks internals: %q", tc.err, msg)
		}
		if tc.status >= 500 && tc.status != 501 && !strings.Contains(logged.String(), "input/output error") && strings.Contains(tc.err.Error(), "input/output") {
			t.Errorf("%v: the real error was not logged: %s", tc.err, logged.String())
		}
		if (rec.Code == 429) != (rec.Header().Get("Retry-After") == "2") {
			t.Errorf("%v: Retry-After %q with status %d, want 2 (seconds, rounded up) on 429 only", tc.err, rec.Header().Get("Retry-After"), rec.Code)
		}
		if (rec.Code == 401) != (rec.Header().Get("WWW-Authenticate") == "Bearer") {
			t.Errorf("%v: WWW-Authenticate %q with status %d", tc.err, rec.Header().Get("WWW-Authenticate"), rec.Code)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	api.WriteJSON(rec, http.StatusCreated, map[string]int{"n": 1})
	if rec.Code != 201 || rec.Body.String() != "{\"n\":1}\n" || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("%d %q %q", rec.Code, rec.Body, rec.Header().Get("Content-Type"))
	}
	rec = httptest.NewRecorder()
	api.WriteJSON(rec, http.StatusNoContent, nil)
	if rec.Code != 204 || rec.Body.Len() != 0 {
		t.Errorf("204: %q", rec.Body)
	}
	rec = httptest.NewRecorder()
	api.WriteJSON(rec, http.StatusOK, func() {})
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "internal error") {
		t.Errorf("unencodable: %d %q", rec.Code, rec.Body)
	}
}
