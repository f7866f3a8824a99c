package folder

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/messages"
)

// Folders runs a Scanner per folder vault of the node.
type Folders struct {
	cfg  Config
	deps Deps

	mu       sync.Mutex
	scanners map[string]*Scanner
	subs     []bus.Subscription
	stopped  bool

	syncMu sync.Mutex // one Sync at a time
	resync chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewFolders prepares the scanners' set; Sync starts them.
func NewFolders(cfg Config, deps Deps) (*Folders, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Folders{cfg: cfg, deps: deps.withDefaults(), scanners: map[string]*Scanner{},
		resync: make(chan struct{}, 1), ctx: ctx, cancel: cancel}, nil
}

// Sync starts a scanner per live folder vault and stops those of vaults gone or moved.
func (f *Folders) Sync(ctx context.Context) error {
	f.syncMu.Lock()
	defer f.syncMu.Unlock()
	list, err := host.AskChild[messages.VaultList](ctx, f.deps.Root, f.deps.Registry, messages.RegistryID, messages.ListVaults{}, f.deps.Limit)
	if err != nil {
		return err
	}
	want := map[string]string{}
	for _, m := range list.Vaults {
		if m.Folder != "" {
			want[m.ID] = filepath.Clean(f.resolve(m.Folder))
		}
	}
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		return nil
	}
	var stop, start []*Scanner
	for id, s := range f.scanners {
		if want[id] != s.Folder() {
			stop = append(stop, s)
			delete(f.scanners, id)
		}
	}
	for id, dir := range want {
		if _, ok := f.scanners[id]; !ok {
			s := New(id, dir, f.cfg, f.deps)
			f.scanners[id] = s
			start = append(start, s)
		}
	}
	f.mu.Unlock()
	for _, s := range stop {
		s.Stop()
		f.deps.Logger.Info("folder vault no longer watched", "vault", s.VaultID(), "folder", s.Folder())
	}
	for _, s := range start {
		s.Start()
		f.deps.Logger.Info("folder vault watched", "vault", s.VaultID(), "folder", s.Folder())
	}
	return nil
}

// resolve makes a registry folder usable.
func (f *Folders) resolve(folder string) string {
	if f.deps.Resolve != nil {
		return f.deps.Resolve(folder)
	}
	return folder
}

// Scanner returns the scanner of vault id, if it has a folder.
func (f *Folders) Scanner(id string) (*Scanner, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.scanners[id]
	return s, ok
}

// Status returns the scan progress of vault id; false when it has no folder.
func (f *Folders) Status(id string) (Status, bool) {
	s, ok := f.Scanner(id)
	if !ok {
		return Status{}, false
	}
	return s.Status(), true
}

// Written writes an API change into the vault's folder, if it has one (api.FileDeps.Written).
func (f *Folders) Written(_ context.Context, vaultID string, info messages.FileInfo) {
	if s, ok := f.Scanner(vaultID); ok {
		_ = s.Mirror(info.Path) // counted and logged by the scanner
	}
}

// Follow resyncs on vault_created and vault_deleted and rescans a vault on vault_unlocked.
func (f *Folders) Follow(b bus.Bus) error {
	onRegistry := func(bus.Msg) {
		select {
		case f.resync <- struct{}{}:
		default:
		}
	}
	onUnlock := func(m bus.Msg) {
		var ev struct {
			VaultID string `json:"vault_id"`
		}
		if json.Unmarshal(m.Data, &ev) == nil {
			if s, ok := f.Scanner(ev.VaultID); ok {
				s.Rescan()
			}
		}
	}
	for subject, fn := range map[string]func(bus.Msg){bus.TypeSubject("vault_created"): onRegistry,
		bus.TypeSubject("vault_deleted"): onRegistry, bus.TypeSubject("vault_unlocked"): onUnlock} {
		sub, err := b.Subscribe(subject, fn)
		if err != nil {
			return err
		}
		f.mu.Lock()
		f.subs = append(f.subs, sub)
		f.mu.Unlock()
	}
	f.wg.Add(1)
	go f.follow()
	return nil
}

// follow resyncs after each registry change.
func (f *Folders) follow() {
	defer f.wg.Done()
	for {
		select {
		case <-f.ctx.Done():
			return
		case <-f.resync:
			ctx, cancel := context.WithTimeout(f.ctx, f.deps.Limit)
			if err := f.Sync(ctx); err != nil && f.ctx.Err() == nil {
				f.deps.Logger.Warn("folder vaults: resync", "err", err)
			}
			cancel()
		}
	}
}

// Stop ends every scanner and the following; the folders keep what was written.
func (f *Folders) Stop() {
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		return
	}
	f.stopped = true
	subs, scanners := f.subs, f.scanners
	f.subs, f.scanners = nil, map[string]*Scanner{}
	f.mu.Unlock()
	for _, sub := range subs {
		_ = sub.Unsubscribe()
	}
	f.cancel()
	f.wg.Wait()
	var wg sync.WaitGroup
	for _, s := range scanners {
		wg.Go(s.Stop)
	}
	wg.Wait()
}
