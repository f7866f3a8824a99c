package folder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// errStopped ends the work of a scanner that is stopping.
var errStopped = errors.New("folder: scanner stopped")

// Scanner mirrors one folder vault: full scans, debounced fsnotify paths, and Mirror; one ingest at a time.
type Scanner struct {
	id, root string
	cfg      Config
	deps     Deps
	log      *slog.Logger

	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	wake    chan struct{}
	watcher *fsnotify.Watcher // nil when watching is impossible: rescans only

	mu          sync.Mutex
	st          Status
	pending     map[string]change // path relative to the folder → what happened, and when last
	nextFull    time.Time         // when the next full scan runs
	locked      bool              // the vault answered "locked": events wait for a full scan
	asked       bool              // a full scan was asked for while one ran: run another
	watchFailed bool              // a watch failed in this full scan (reported once)
	writing     map[string]int    // vault paths Mirror is writing: never ingested nor tombstoned meanwhile

	writeMu   sync.Mutex // one Mirror at a time
	startOnce sync.Once
	stopOnce  sync.Once
}

// change is what fsnotify said about a path since it was last handled.
type change struct {
	ops fsnotify.Op
	at  time.Time
}

// New prepares the scanner of vault vaultID, whose folder is folder; Start runs it.
func New(vaultID, folder string, cfg Config, deps Deps) *Scanner {
	deps = deps.withDefaults()
	root := filepath.Clean(folder)
	ctx, cancel := context.WithCancel(context.Background())
	return &Scanner{id: vaultID, root: root, cfg: cfg.withDefaults(), deps: deps,
		log: deps.Logger.With("vault", vaultID, "folder", root), ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), st: Status{Folder: root}, pending: map[string]change{},
		nextFull: time.Now(), writing: map[string]int{}}
}

// VaultID is the vault the scanner mirrors.
func (s *Scanner) VaultID() string { return s.id }

// Folder is the folder the scanner mirrors.
func (s *Scanner) Folder() string { return s.root }

// Start begins the first full scan and the watch.
func (s *Scanner) Start() {
	s.startOnce.Do(func() {
		if w, err := fsnotify.NewWatcher(); err != nil {
			s.fail(fmt.Errorf("watch %s: %w: only rescans will see changes", s.root, err))
		} else {
			s.watcher = w
			s.wg.Add(1)
			go s.events()
		}
		s.wg.Add(1)
		go s.run()
	})
}

// Stop ends the scanner and waits for it; an ingest in flight is abandoned, its blocks unpinned.
func (s *Scanner) Stop() {
	s.stopOnce.Do(func() {
		s.cancel()
		s.startOnce.Do(func() {}) // a scanner never started stays so
		if s.watcher != nil {
			_ = s.watcher.Close()
		}
		s.wg.Wait()
	})
}

// Rescan schedules a full scan now: after an unlock, or on request.
func (s *Scanner) Rescan() {
	s.mu.Lock()
	s.nextFull, s.locked, s.asked = time.Now(), false, true
	s.mu.Unlock()
	s.poke()
}

// poke wakes the worker.
func (s *Scanner) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
