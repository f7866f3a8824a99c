package natsbus

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// serverWarnEvery rate-limits the server's warnings per call site (format string): most are
// caused by clients (failed logins, permission violations), which must not flood the log.
const serverWarnEvery = 5 * time.Second

// serverLogger adapts the embedded server's logging to slog: notices, debug and trace go to
// DEBUG (no INFO chatter from a component the user did not start by hand); warnings and errors
// to WARN, rate-limited per call site; fatals to ERROR. It remembers the last fatal so Start can
// report it.
type serverLogger struct {
	log   *slog.Logger
	warns *warnLimiter

	mu        sync.Mutex
	lastFatal string
}

var _ server.Logger = (*serverLogger)(nil)

// newServerLogger returns a server logger writing to log.
func newServerLogger(log *slog.Logger) *serverLogger {
	return &serverLogger{log: log, warns: newWarnLimiter(serverWarnEvery)}
}

func (l *serverLogger) logf(level slog.Level, format string, v []any) {
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	if level >= slog.LevelWarn {
		ok, suppressed := l.warns.allow(format, time.Now())
		if !ok {
			return
		}
		if suppressed > 0 {
			l.log.Log(context.Background(), level, fmt.Sprintf(format, v...), "suppressed", suppressed)
			return
		}
	}
	l.log.Log(context.Background(), level, fmt.Sprintf(format, v...))
}

// Noticef implements server.Logger.
func (l *serverLogger) Noticef(format string, v ...any) { l.logf(slog.LevelDebug, format, v) }

// Warnf implements server.Logger.
func (l *serverLogger) Warnf(format string, v ...any) { l.logf(slog.LevelWarn, format, v) }

// Errorf implements server.Logger; the server's errors are mostly about one client, so WARN.
func (l *serverLogger) Errorf(format string, v ...any) { l.logf(slog.LevelWarn, format, v) }

// Debugf implements server.Logger.
func (l *serverLogger) Debugf(format string, v ...any) { l.logf(slog.LevelDebug, format, v) }

// Tracef implements server.Logger.
func (l *serverLogger) Tracef(format string, v ...any) { l.logf(slog.LevelDebug, format, v) }

// Fatalf implements server.Logger without exiting: the server stops what it was doing and
// Start returns the message as an error.
func (l *serverLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.mu.Lock()
	l.lastFatal = msg
	l.mu.Unlock()
	l.log.Error(msg)
}

// fatal returns the last fatal message, or "".
func (l *serverLogger) fatal() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastFatal
}

// warnLimiter lets one warning per key through per interval and counts the rest.
type warnLimiter struct {
	interval time.Duration

	mu   sync.Mutex
	last map[string]time.Time
	hush map[string]int
}

func newWarnLimiter(interval time.Duration) *warnLimiter {
	return &warnLimiter{interval: interval, last: map[string]time.Time{}, hush: map[string]int{}}
}

// allow reports whether a warning for key may be logged now, and how many were suppressed
// since the last one that was.
func (w *warnLimiter) allow(key string, now time.Time) (ok bool, suppressed int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if last, seen := w.last[key]; seen && now.Sub(last) < w.interval {
		w.hush[key]++
		return false, 0
	}
	w.last[key] = now
	suppressed = w.hush[key]
	delete(w.hush, key)
	return true, suppressed
}
