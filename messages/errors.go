package messages

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors travel as reply values from actors to http, where http/api/errors.go alone
// maps them to statuses. Check them with errors.Is; wrap them with context.
var (
	// ErrNotFound: the named resource does not exist (404).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the change collides with existing state, such as a name already taken (409).
	ErrConflict = errors.New("conflict")
	// ErrLocked: the vault is locked or the operation is not permitted (403).
	ErrLocked = errors.New("locked")
	// ErrForbidden: the caller may not do this (403).
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthorized: missing, invalid or expired credentials (401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrStorage: the change could not be made durable; nothing of it was applied (503).
	ErrStorage = errors.New("storage failure: the change was not saved")
	// ErrUnavailable: the actor that owns the resource is down, restarting or did not answer (503).
	ErrUnavailable = errors.New("service temporarily unavailable")
	// ErrLimitedMode: the route needs the mesh and the daemon runs without one (503).
	ErrLimitedMode = errors.New("limited mode")
	// ErrPreconditionFailed: an If-Match style precondition did not hold (412).
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrNotImplemented: not available on this platform (501).
	ErrNotImplemented = errors.New("not implemented on this platform")
	// ErrTooManyRequests: the caller must wait before trying again (429, with Retry-After).
	ErrTooManyRequests = errors.New("too many requests")
	// ErrSetupRequired: the daemon is not set up for this yet, e.g. no password (503).
	ErrSetupRequired = errors.New("setup required")
)

// RetryAfterError asks the caller to wait After before trying again; http sets Retry-After.
type RetryAfterError struct {
	Err   error
	After time.Duration
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// InvalidError reports bad input, naming the field at fault (400).
type InvalidError struct {
	Field  string // the JSON field, query parameter or path element at fault; may be empty
	Reason string // what is wrong with it, in words a user can act on
}

func (e *InvalidError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Reason)
}

// Invalid builds an InvalidError for field.
func Invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// NotFound wraps ErrNotFound with the kind of thing that was missing, so the error reads
// "vault not found".
func NotFound(what string) error { return fmt.Errorf("%s %w", what, ErrNotFound) }

// LimitedMode wraps ErrLimitedMode with the reason the mesh is off, so a user knows what to do.
func LimitedMode(why string) error { return fmt.Errorf("%w: %s", ErrLimitedMode, why) }
