package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"

	"github.com/meshhold/meshhold/messages"
)

// Errors of the HTTP conventions themselves; they go through the same table as domain errors.
var (
	errNoRoute     = errors.New("no such route")
	errMethod      = errors.New("method not allowed")
	errContentType = errors.New("unsupported content type")
)

// reasonError gives a user-facing message to an error it matches (a sentinel or an
// *messages.InvalidError): it reads as msg, and errors.Is/As see kind.
type reasonError struct {
	kind error
	msg  string
}

func (e *reasonError) Error() string { return e.msg }
func (e *reasonError) Unwrap() error { return e.kind }

// because builds a reasonError of kind with a formatted message.
func because(kind error, format string, args ...any) error {
	return &reasonError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// statusOf is the one table from errors to statuses; the first entry that matches wins.
// public marks 5xx entries whose wrapped message is written for users (limited mode, platform).
var statusOf = []struct {
	err    error
	status int
	public bool
}{
	{errNoRoute, http.StatusNotFound, false},
	{errMethod, http.StatusMethodNotAllowed, false},
	{errContentType, http.StatusUnsupportedMediaType, false},
	{messages.ErrNotFound, http.StatusNotFound, false},
	{messages.ErrConflict, http.StatusConflict, false},
	{messages.ErrLocked, http.StatusForbidden, false},
	{messages.ErrForbidden, http.StatusForbidden, false},
	{messages.ErrUnauthorized, http.StatusUnauthorized, false},
	{messages.ErrPreconditionFailed, http.StatusPreconditionFailed, false},
	{messages.ErrStorage, http.StatusServiceUnavailable, false},
	{messages.ErrUnavailable, http.StatusServiceUnavailable, false},
	{messages.ErrLimitedMode, http.StatusServiceUnavailable, true},
	{messages.ErrNotImplemented, http.StatusNotImplemented, true},
	{messages.ErrTooManyRequests, http.StatusTooManyRequests, false},
	{messages.ErrSetupRequired, http.StatusServiceUnavailable, true},
	{messages.ErrQuota, http.StatusInsufficientStorage, false},
	{context.DeadlineExceeded, http.StatusGatewayTimeout, false},
}

// errTimeout is the body of a 504: the deadline's own text says nothing useful to a user.
const errTimeout = "the daemon did not answer in time; try again"

// Status returns the HTTP status for err and the message its body may carry.
func Status(err error) (status int, message string) {
	var invalid *messages.InvalidError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large: the limit is %d bytes", tooBig.Limit)
	case errors.As(err, &invalid):
		return http.StatusBadRequest, err.Error()
	}
	for _, e := range statusOf {
		if !errors.Is(err, e.err) {
			continue
		}
		switch {
		case e.status < 500 || e.public:
			return e.status, err.Error()
		case e.status == http.StatusGatewayTimeout:
			return e.status, errTimeout
		}
		return e.status, e.err.Error() // the sentinel's own words, never what wraps it
	}
	return http.StatusInternalServerError, "internal error"
}

// WriteError answers with err's status and `{"error": …}`; 5xx causes are logged, not sent.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var quota *messages.QuotaError
	if errors.As(err, &quota) { // 507 carries the quota's numbers beside the message
		WriteJSON(w, http.StatusInsufficientStorage, struct {
			Error string `json:"error"`
			*messages.QuotaError
		}{quota.Error(), quota})
		return
	}
	status, msg := Status(err)
	if status >= 500 {
		log := loggerFrom(r.Context())
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			log.Debug("client went away", "method", r.Method, "path", r.URL.Path, "err", err)
		} else {
			log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	var retry *messages.RetryAfterError
	if errors.As(err, &retry) {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.After.Seconds()))))
	}
	WriteJSON(w, status, map[string]string{"error": msg})
}

var (
	jsonBufs        = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	jsonContentType = []string{"application/json"}
	noSniff         = []string{"nosniff"}
)

// WriteJSON answers with status and v encoded as JSON; 204 and 304 get no body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	if status == http.StatusNoContent || status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	buf := jsonBufs.Get().(*bytes.Buffer)
	defer jsonBufs.Put(buf)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		slog.Error("api: cannot encode response", "type", fmt.Sprintf("%T", v), "err", err)
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"internal error"}` + "\n")
	}
	h := w.Header()
	h["Content-Type"] = jsonContentType // canonical keys, shared values: no allocation
	h["X-Content-Type-Options"] = noSniff
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
