package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/reports"
)

// reportSources is what a diagnostics report is made of. Every section is rendered from typed
// values whose secrets redact themselves; the config is deep-copied with its secrets replaced
// first (reports.Redact), and every section is finally searched for the config's secret values
// (reports.MaskValues). The config file itself never goes in: its comments may hold a key.
type reportSources struct {
	config  func() Config                 // the effective config
	logs    *logRing                      // the recent log records; nil: none
	status  func(ctx context.Context) any // GET /system/status
	metrics func(ctx context.Context) any // GET /system/metrics; nil: not available
	started time.Time                     // the daemon's start
	now     func() time.Time              // time.Now when nil
}

// sections builds a report's files.
func (s reportSources) sections(ctx context.Context) []reports.Section {
	cfg := s.config()
	secs := s.render(ctx, cfg)
	reports.MaskValues(secs, reports.SecretValues(cfg))
	return secs
}

// render builds the files from the sources alone, before the value backstop.
func (s reportSources) render(ctx context.Context, cfg Config) []reports.Section {
	now := time.Now()
	if s.now != nil {
		now = s.now()
	}
	return []reports.Section{
		section("README.txt", func() ([]byte, error) { return []byte(reportReadme), nil }),
		section("version.txt", func() ([]byte, error) { return versionText(cfg.path, s.started, now), nil }),
		section("config.yaml", func() ([]byte, error) { return configYAML(cfg) }),
		section("status.json", func() ([]byte, error) { return jsonOf(ctx, s.status) }),
		section("metrics.json", func() ([]byte, error) { return jsonOf(ctx, s.metrics) }),
		section("log.jsonl", func() ([]byte, error) { return s.logs.snapshotOrNil(), nil }),
	}
}

const reportReadme = `MeshHold diagnostics report

config.yaml   the effective configuration (file + defaults); every secret reads [redacted]
log.jsonl     the newest log records, one JSON object per line
status.json   GET /system/status
metrics.json  GET /system/metrics
version.txt   version, Go, OS/arch, start time and uptime

Secrets are redacted by their type wherever they appear. The config file itself is not
included, and neither are the environment, the store or any file of the node's data.
`

// section renders one file; a failure or panic becomes the file's text, so the rest of the
// report is still made.
func section(name string, build func() ([]byte, error)) (s reports.Section) {
	s.Name = name
	defer func() {
		if p := recover(); p != nil {
			s.Data = fmt.Appendf(nil, "could not build %s: panic: %v\n", name, p)
		}
	}()
	b, err := build()
	if err != nil {
		b = fmt.Appendf(nil, "could not build %s: %v\n", name, err)
	}
	s.Data = b
	return s
}

// configYAML renders the effective config with every secret-typed value redacted.
func configYAML(cfg Config) ([]byte, error) {
	clean, err := reports.Redact(cfg)
	if err != nil {
		return nil, err
	}
	b, err := yaml.Marshal(clean)
	if err != nil {
		return nil, err
	}
	return append([]byte("# the effective configuration; every secret is redacted\n"), b...), nil
}

// jsonOf renders what get returns as indented JSON; nil get means not available.
func jsonOf(ctx context.Context, get func(context.Context) any) ([]byte, error) {
	if get == nil {
		return []byte(`{"available": false}` + "\n"), nil
	}
	b, err := json.MarshalIndent(get(ctx), "", "  ")
	return append(b, '\n'), err
}

// versionText describes the build and the process.
func versionText(configPath string, started, now time.Time) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "meshhold %s\n", version)
	fmt.Fprintf(&b, "go:         %s\n", runtime.Version())
	fmt.Fprintf(&b, "os/arch:    %s/%s\n", runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "cpus:       %d\n", runtime.NumCPU())
	fmt.Fprintf(&b, "goroutines: %d\n", runtime.NumGoroutine())
	fmt.Fprintf(&b, "pid:        %d\n", os.Getpid())
	fmt.Fprintf(&b, "config:     %s\n", configPath)
	if !started.IsZero() {
		fmt.Fprintf(&b, "started:    %s\n", started.UTC().Format(time.RFC3339))
		fmt.Fprintf(&b, "uptime:     %s\n", now.Sub(started).Round(time.Second))
	}
	fmt.Fprintf(&b, "report:     %s\n", now.UTC().Format(time.RFC3339))
	return b.Bytes()
}

// snapshotOrNil is the ring's content, or nothing without a ring.
func (r *logRing) snapshotOrNil() []byte {
	if r == nil {
		return nil
	}
	return r.Snapshot()
}

// errNoReportsFolder answers the diagnostics routes when reports cannot be kept (503, public).
var errNoReportsFolder = fmt.Errorf("%w: no writable reports folder; set diagnostics.reports_dir to a folder the daemon can write",
	messages.ErrSetupRequired)

// reportService implements api.ReportStore over a reports.Store in dir, opened at first use
// and again after a failure, so a folder that becomes writable later works without a restart.
type reportService struct {
	dir   string
	src   reportSources
	log   *slog.Logger
	mu    sync.Mutex
	store *reports.Store
}

var _ api.ReportStore = (*reportService)(nil)

// open returns the store, opening it if needed.
func (s *reportService) open() (*reports.Store, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store != nil {
		return s.store, nil
	}
	st, err := reports.Open(s.dir)
	if err != nil {
		s.log.Warn("diagnostics: no writable reports folder", "dir", s.dir, "err", err)
		return nil, errNoReportsFolder
	}
	s.store = st
	return st, nil
}

// check maps the folder's failures to errNoReportsFolder and forgets the store, to reopen it.
func (s *reportService) check(err error) error {
	if !errors.Is(err, reports.ErrUnavailable) {
		return err
	}
	s.log.Warn("diagnostics: reports folder unusable", "dir", s.dir, "err", err)
	s.mu.Lock()
	s.store = nil
	s.mu.Unlock()
	return errNoReportsFolder
}

func (s *reportService) Create(ctx context.Context) (api.ReportInfo, error) {
	st, err := s.open()
	if err != nil {
		return api.ReportInfo{}, err
	}
	info, err := st.Create(s.src.sections(ctx))
	if err != nil {
		return api.ReportInfo{}, s.check(err)
	}
	s.log.Info("diagnostics report created", "id", info.ID, "bytes", info.SizeBytes)
	return apiInfo(info), nil
}

func (s *reportService) List() ([]api.ReportInfo, error) {
	st, err := s.open()
	if err != nil {
		return nil, err
	}
	list, err := st.List()
	if err != nil {
		return nil, s.check(err)
	}
	out := make([]api.ReportInfo, len(list))
	for i, r := range list {
		out[i] = apiInfo(r)
	}
	return out, nil
}

func (s *reportService) Open(id string) (io.ReadCloser, api.ReportInfo, error) {
	st, err := s.open()
	if err != nil {
		return nil, api.ReportInfo{}, err
	}
	rc, info, err := st.Open(id)
	if err != nil {
		return nil, api.ReportInfo{}, s.check(err)
	}
	return rc, apiInfo(info), nil
}

func (s *reportService) Delete(id string) error {
	st, err := s.open()
	if err != nil {
		return err
	}
	return s.check(st.Delete(id))
}

func apiInfo(r reports.Info) api.ReportInfo {
	return api.ReportInfo{ID: r.ID, Name: r.Name, SizeBytes: r.SizeBytes, CreatedMs: r.CreatedMs}
}

// diagnostics serves the diagnostics routes for d: reports kept in dir, made of d's config (read
// under the lock that guards its edits), logs, status, metrics and uptime. Call it once d.system
// and d.sampler are set.
func (d *daemon) diagnostics(dir string, logs *logRing) *api.Diagnostics {
	src := reportSources{config: func() Config { return d.cfg }, logs: logs, started: d.started}
	if n, ok := d.system.Node.(*nodeInfo); ok {
		src.config = n.config
		src.status = func(ctx context.Context) any { return n.Status(ctx) }
	}
	if s := d.sampler; s != nil {
		src.metrics = func(context.Context) any {
			return api.MetricsReply{IntervalMs: s.Interval().Milliseconds(), Samples: s.Samples(time.Time{}, time.Time{})}
		}
	}
	return &api.Diagnostics{Reports: &reportService{dir: dir, src: src, log: d.log.With("subsystem", "diagnostics")}}
}

// config is a copy of the daemon's config, read under the lock Setup edits it under.
func (n *nodeInfo) config() Config {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.d.cfg
}
