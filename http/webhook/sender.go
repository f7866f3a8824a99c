package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/eventv1"
	"github.com/meshhold/meshhold/persist"
)

// Defaults of Config's timing fields.
const (
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = 5 * time.Minute
	DefaultTimeout    = 10 * time.Second
	DefaultPoll       = time.Second
)

// pageSize is how many events one read of the log takes.
const pageSize = 256

// Config is one outbound webhook (config.yaml's outbound_webhooks).
type Config struct {
	Name   string // unique; names the cursor and the incidents' entity webhook/<name>
	URL    string
	Events []string // event types, or "*"; empty: every type
	Secret messages.Secret
	// MinBackoff is the wait after a delivery's first failure; it doubles per failure up to
	// MaxBackoff (1 s and 5 min by default).
	MinBackoff, MaxBackoff time.Duration
	Timeout                time.Duration // one attempt, connection to last byte (10 s)
	Poll                   time.Duration // how often the log is read when no wake comes (1 s)
}

// EventLog is the node's committed event log, as host.EventLog reads it.
type EventLog interface {
	Read(after uint64, limit int, fn func(*eventv1.Event) bool) (oldest, newest uint64, err error)
}

// Deps are a Sender's ports.
type Deps struct {
	Log    EventLog
	Store  persist.Store // holds the cursor (persist.Meta, CursorKey)
	Client *http.Client  // nil: a client that follows no redirects
	Logger *slog.Logger
	// Report records an incident durably (the daemon asks the Recorder); nil: logged only.
	Report func(context.Context, Incident) error
	// Wake, when set, signals that new events may be in the log; Poll is the fallback.
	Wake <-chan struct{}
}

// Stats counts what a Sender did since it was made.
type Stats struct {
	Cursor    uint64 // last log_seq it is done with
	Delivered uint64 // events a receiver accepted
	Dropped   uint64 // events a receiver refused for good
	Retries   uint64 // failed attempts that were retried
	Gaps      uint64 // times the log was pruned past the cursor
	Missed    uint64 // events lost to those gaps
}

// Sender delivers one outbound webhook's events; Run is its loop.
type Sender struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	target  string // the URL without credentials, query or path, for logs and incidents
	cursor  uint64 // owned by Run once it starts
	saved   uint64 // the durable cursor
	savedAt time.Time

	stats struct {
		cursor, delivered, dropped, retries, gaps, missed atomic.Uint64
	}
}

// New checks cfg and loads the webhook's cursor. A webhook seen for the first time starts at
// the newest event already in the log, stored at once: it delivers what happens from now on,
// not the log's history.
func New(cfg Config, deps Deps) (*Sender, error) {
	u, err := url.Parse(cfg.URL)
	switch {
	case cfg.Name == "":
		return nil, errors.New("webhook: a name is required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, fmt.Errorf("webhook %s: %q is not an http:// or https:// URL", cfg.Name, cfg.URL)
	case deps.Log == nil || deps.Store == nil:
		return nil, fmt.Errorf("webhook %s: an event log and a store are required", cfg.Name)
	}
	cfg.MinBackoff = cmpOr(cfg.MinBackoff, DefaultMinBackoff)
	cfg.MaxBackoff = max(cmpOr(cfg.MaxBackoff, DefaultMaxBackoff), cfg.MinBackoff)
	cfg.Timeout = cmpOr(cfg.Timeout, DefaultTimeout)
	cfg.Poll = cmpOr(cfg.Poll, DefaultPoll)
	if deps.Client == nil {
		deps.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Sender{cfg: cfg, deps: deps, target: u.Scheme + "://" + u.Host}
	s.log = deps.Logger.With("webhook", cfg.Name)
	cursor, ok, err := LoadCursor(deps.Store, cfg.Name)
	if err != nil {
		return nil, err
	}
	if !ok {
		if _, cursor, err = deps.Log.Read(^uint64(0), 1, func(*eventv1.Event) bool { return false }); err != nil {
			return nil, fmt.Errorf("webhook %s: read the event log: %w", cfg.Name, err)
		}
		if err := SaveCursor(deps.Store, cfg.Name, cursor); err != nil {
			return nil, err
		}
		s.log.Info("webhook starts at the newest event", "cursor", cursor)
	}
	s.cursor, s.saved, s.savedAt = cursor, cursor, time.Now()
	s.stats.cursor.Store(cursor)
	return s, nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Stats returns the counters; safe to call while Run runs.
func (s *Sender) Stats() Stats {
	return Stats{Cursor: s.stats.cursor.Load(), Delivered: s.stats.delivered.Load(), Dropped: s.stats.dropped.Load(),
		Retries: s.stats.retries.Load(), Gaps: s.stats.gaps.Load(), Missed: s.stats.missed.Load()}
}

// Run delivers events until ctx ends. Errors of the store or the log are logged and retried
// after Poll; a delivery in flight when ctx ends leaves the cursor where it was.
func (s *Sender) Run(ctx context.Context) {
	poll := time.NewTimer(s.cfg.Poll)
	defer poll.Stop()
	for ctx.Err() == nil {
		more, err := s.pass(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("webhook pass failed; retrying", "err", err)
		}
		if more && err == nil {
			continue
		}
		poll.Reset(s.cfg.Poll)
		select {
		case <-ctx.Done():
		case <-s.deps.Wake:
		case <-poll.C:
		}
	}
}

// pass reads one page of events after the cursor and delivers the matching ones, in log_seq
// order; more reports that the page was full.
func (s *Sender) pass(ctx context.Context) (more bool, err error) {
	var page []*eventv1.Event
	oldest, newest, err := s.deps.Log.Read(s.cursor, pageSize, func(ev *eventv1.Event) bool {
		page = append(page, ev)
		return true
	})
	if err != nil {
		return false, fmt.Errorf("read the event log: %w", err)
	}
	if err := s.checkGap(ctx, oldest, newest); err != nil {
		return false, err
	}
	for _, ev := range page {
		if !s.matches(ev.GetType()) {
			s.advance(ev.GetLogSeq())
			continue
		}
		if err := s.deliver(ctx, ev); err != nil {
			return false, errors.Join(err, s.save(false))
		}
		s.advance(ev.GetLogSeq())
		if err := s.save(true); err != nil {
			return false, err
		}
	}
	return len(page) == pageSize, s.save(false)
}

// checkGap notices events pruned from the log before this webhook got to them: it records the
// gap (log, incident, counters) and moves the cursor past it.
func (s *Sender) checkGap(ctx context.Context, oldest, newest uint64) error {
	next := s.cursor + 1
	switch {
	case s.cursor > newest:
		s.log.Warn("webhook cursor is past the newest event (was the store replaced?); starting at the newest", "cursor", s.cursor, "newest", newest)
		s.advance(newest)
		return s.save(true)
	case oldest > next, oldest == 0 && newest >= next:
		last := newest
		if oldest != 0 {
			last = oldest - 1
		}
		missed := last - next + 1
		s.stats.gaps.Add(1)
		s.stats.missed.Add(missed)
		s.log.Error("webhook missed events: the event log was pruned past its cursor (raise events.log_max or fix the receiver)",
			"from", next, "to", last, "missed", missed)
		s.report(ctx, Incident{Type: TypeGap, From: next, To: last, Missed: missed})
		s.advance(last)
		return s.save(true)
	}
	return nil
}

// matches reports whether events of type typ go to this webhook; never the webhooks' own
// incidents.
func (s *Sender) matches(typ string) bool {
	return !strings.HasPrefix(typ, incidentPrefix) && Match(s.cfg.Events, typ)
}

// Match reports whether patterns select events of type typ: an exact type, "*" for every type,
// or a prefix ending in "*" ("vault_*"); an empty list selects every type.
func Match(patterns []string, typ string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if prefix, wild := strings.CutSuffix(p, "*"); p == typ || (wild && strings.HasPrefix(typ, prefix)) {
			return true
		}
	}
	return false
}

func (s *Sender) advance(cursor uint64) {
	s.cursor = cursor
	s.stats.cursor.Store(cursor)
}

// save makes the cursor durable: always when now is set, else at most once per Poll (events
// skipped as not matching are cheap to skip again after a crash).
func (s *Sender) save(now bool) error {
	if s.cursor == s.saved || (!now && time.Since(s.savedAt) < s.cfg.Poll) {
		return nil
	}
	if err := SaveCursor(s.deps.Store, s.cfg.Name, s.cursor); err != nil {
		return err
	}
	s.saved, s.savedAt = s.cursor, time.Now()
	return nil
}

// report records in, logging when that fails.
func (s *Sender) report(ctx context.Context, in Incident) {
	if s.deps.Report == nil {
		return
	}
	in.Webhook, in.URL = s.cfg.Name, s.target
	if err := s.deps.Report(ctx, in); err != nil && ctx.Err() == nil {
		s.log.Warn("webhook incident not recorded", "type", in.Type, "delivery", in.Delivery, "err", err)
	}
}
