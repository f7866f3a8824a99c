package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/swarmkey"
	"github.com/meshhold/meshhold/persist/reports"
)

var (
	secretT   = reflect.TypeFor[messages.Secret]()
	swarmKeyT = reflect.TypeFor[swarmkey.Key]()
)

// planter puts a distinct known value in every secret-typed place of a value, recording where.
type planter struct {
	values []string          // every planted value, in each form it could leak as
	paths  map[string]string // yaml path → planted value
}

// secretValue is a distinct value no report could contain by chance.
func (p *planter) secretValue() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("PLANTED%02d%s", len(p.paths), hex.EncodeToString(b[:]))
}

// plant walks v (addressable) by reflection: structs' exported fields, pointers (allocated),
// slices (one element added), arrays and maps (one entry added) wherever a secret type can be.
func (p *planter) plant(v reflect.Value, path string) {
	t := v.Type()
	switch t {
	case secretT:
		val := p.secretValue()
		v.SetString(val)
		p.values = append(p.values, val)
		p.paths[path] = val
		return
	case swarmKeyT:
		k, _ := swarmkey.Generate()
		v.Set(reflect.ValueOf(k))
		p.values = append(p.values, hex.EncodeToString(k.Bytes()))
		p.paths[path] = k.Fingerprint()
		return
	}
	if !canHoldSecret(t, map[reflect.Type]bool{}) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				p.plant(v.Field(i), joinPath(path, yamlKey(f)))
			}
		}
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		p.plant(v.Elem(), path)
	case reflect.Slice:
		v.Set(reflect.Append(v, reflect.New(t.Elem()).Elem()))
		p.plant(v.Index(v.Len()-1), path+"[]")
	case reflect.Array:
		for i := range v.Len() {
			p.plant(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(t))
		}
		k, e := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
		p.plant(k, path+"{key}")
		if k.Kind() == reflect.String && k.String() == "" {
			k.SetString("planted-key")
		}
		p.plant(e, path+"{}")
		v.SetMapIndex(k, e)
	}
}

// canHoldSecret reports whether a value of type t can contain a secret type.
func canHoldSecret(t reflect.Type, seen map[reflect.Type]bool) bool {
	if t == secretT || t == swarmKeyT {
		return true
	}
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Struct:
		for i := range t.NumField() {
			if canHoldSecret(t.Field(i).Type, seen) {
				return true
			}
		}
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return canHoldSecret(t.Elem(), seen)
	case reflect.Map:
		return canHoldSecret(t.Key(), seen) || canHoldSecret(t.Elem(), seen)
	}
	return false
}

func yamlKey(f reflect.StructField) string {
	if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
		return name
	}
	return strings.ToLower(f.Name)
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// plantedConfig is a default Config with a known value in every secret it can hold.
func plantedConfig(t *testing.T) (Config, *planter) {
	t.Helper()
	cfg := defaultConfig(filepath.Join(t.TempDir(), "config.yaml"))
	p := &planter{paths: map[string]string{}}
	p.plant(reflect.ValueOf(&cfg).Elem(), "")
	// The walk must see at least the secrets known today, so it cannot pass by finding none.
	for _, want := range []string{"swarm_key", "bus.token", "bus.leaf_remotes[].token", "webhooks[].token", "outbound_webhooks[].secret"} {
		if _, ok := p.paths[want]; !ok {
			t.Fatalf("the walk did not reach %s; it found %v", want, slices.Sorted(maps.Keys(p.paths)))
		}
	}
	return cfg, p
}

// leaks names every section that holds a planted value.
func leaks(secs []reports.Section, values []string) []string {
	var out []string
	for _, s := range secs {
		for _, v := range values {
			if bytes.Contains(s.Data, []byte(v)) {
				out = append(out, fmt.Sprintf("%s holds %s", s.Name, v))
			}
		}
	}
	return out
}

// logPlanted logs each planted value as the daemon might: as Secret attributes, in groups, in
// With, through every fmt verb, inside structs and errors.
func logPlanted(log *slog.Logger, values []string) {
	for _, v := range values {
		s := messages.Secret(v)
		log.Info("planted", "value", s, slog.Group("g", "inner", s), "struct", struct{ S messages.Secret }{s})
		log.With("with", s).Warn(fmt.Sprintf("%v %s %q %x %d %+v %#v", s, s, s, s, s, s, s))
		log.Error("failed", "err", fmt.Errorf("dial with %v: %w", s, errors.New("refused")))
	}
}

// Every messages.Secret (and swarmkey.Key) the Config type can hold, found by reflection, is
// planted with a known value; no section of the report — before the value backstop and in the
// saved zip — holds any of them. A secret a later feature adds is covered without editing this.
func TestReportRedactsEverySecret(t *testing.T) {
	cfg, p := plantedConfig(t)
	ring := newLogRing(logRingRecords, logRingBytes)
	log := slog.New(ring.handler(slog.NewTextHandler(io.Discard, nil), slog.LevelInfo))
	logPlanted(log, p.values)
	src := reportSources{
		config:  func() Config { return cfg },
		logs:    ring,
		status:  func(context.Context) any { return api.StatusReply{Running: true, HasSwarmKey: true} },
		metrics: func(context.Context) any { return map[string]any{"bus_token": cfg.Bus.Token, "n": 1} },
		started: time.Now().Add(-time.Hour),
	}

	raw := src.render(context.Background(), cfg) // type-based redaction alone
	for _, l := range leaks(raw, p.values) {
		t.Errorf("by type: %s", l)
	}
	byName := map[string][]byte{}
	for _, s := range raw {
		byName[s.Name] = s.Data
	}
	conf := string(byName["config.yaml"])
	if strings.Contains(conf, "could not build") || !strings.Contains(conf, `swarm_key: "`+messages.Redacted+`"`) ||
		strings.Count(conf, messages.Redacted) < len(p.paths) || !strings.Contains(conf, "name: "+cfg.Node.Name) {
		t.Errorf("config.yaml is not the redacted effective config:\n%s", conf)
	}
	if n := bytes.Count(byName["log.jsonl"], []byte("\n")); n != 3*len(p.values) {
		t.Errorf("log.jsonl has %d records, want %d", n, 3*len(p.values))
	}
	for _, name := range []string{"README.txt", "version.txt", "status.json", "metrics.json"} {
		if len(byName[name]) == 0 {
			t.Errorf("%s is empty", name)
		}
	}

	svc := &reportService{dir: filepath.Join(t.TempDir(), "reports"), src: src, log: log}
	info, err := svc.Create(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leaks(unzip(t, svc, info.ID), p.values) {
		t.Errorf("in the zip: %s", l)
	}
}

// unzip reads every file of the saved report id.
func unzip(t *testing.T, svc *reportService, id string) []reports.Section {
	t.Helper()
	rc, _, err := svc.Open(id)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out []reports.Section
	for _, f := range zr.File {
		r, _ := f.Open()
		data, _ := io.ReadAll(r)
		out = append(out, reports.Section{Name: f.Name, Data: data})
	}
	if len(out) != 6 {
		t.Fatalf("the zip holds %d files, want 6", len(out))
	}
	return out
}

// A secret revealed into a log record by mistake is still masked in the report, by value.
func TestReportMasksRevealedConfigSecrets(t *testing.T) {
	cfg, p := plantedConfig(t)
	ring := newLogRing(logRingRecords, logRingBytes)
	log := slog.New(ring.handler(slog.NewTextHandler(io.Discard, nil), slog.LevelInfo))
	for _, v := range p.values {
		log.Info("bug: revealed", "detail", v)
	}
	src := reportSources{config: func() Config { return cfg }, logs: ring}
	if len(leaks(src.render(context.Background(), cfg), p.values)) == 0 {
		t.Fatal("the revealed values should be in the raw log, or this test proves nothing")
	}
	for _, l := range leaks(src.sections(context.Background()), p.values) {
		t.Errorf("after masking: %s", l)
	}
}

// A config key that names a credential must have a secret type, or redaction cannot see it.
func TestConfigSecretsAreTyped(t *testing.T) {
	var walk func(t reflect.Type, path string, seen map[reflect.Type]bool)
	walk = func(typ reflect.Type, path string, seen map[reflect.Type]bool) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] || typ == swarmKeyT {
			return
		}
		seen[typ] = true
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() {
				if canHoldSecret(f.Type, map[reflect.Type]bool{}) {
					t.Errorf("%s: unexported field %s holds a secret type; reports cannot redact it", path, f.Name)
				}
				continue
			}
			key := joinPath(path, yamlKey(f))
			if secretKey(yamlKey(f)) && f.Type != secretT && f.Type != swarmKeyT && !canHoldSecret(f.Type, map[reflect.Type]bool{}) {
				t.Errorf("%s is %s; a credential must be a messages.Secret", key, f.Type)
			}
			walk(f.Type, key, seen)
		}
	}
	walk(reflect.TypeFor[Config](), "", map[reflect.Type]bool{})
}

// Without a writable folder every call is the public 503, and it works once the folder can be made.
func TestReportServiceUnavailable(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := writeFile(blocker); err != nil {
		t.Fatal(err)
	}
	svc := &reportService{dir: filepath.Join(blocker, "reports"), src: reportSources{config: func() Config { return Config{} }},
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := svc.Create(context.Background()); !errors.Is(err, messages.ErrSetupRequired) {
		t.Fatalf("create: %v", err)
	}
	if _, err := svc.List(); !errors.Is(err, errNoReportsFolder) {
		t.Fatalf("list: %v", err)
	}
	if status, msg := api.Status(errNoReportsFolder); status != 503 || !strings.Contains(msg, "no writable reports folder") {
		t.Fatalf("status %d %q", status, msg)
	}
	svc.dir = filepath.Join(dir, "reports") // the folder becomes possible: no restart needed
	if _, err := svc.Create(context.Background()); err != nil {
		t.Fatal(err)
	}
	if list, err := svc.List(); err != nil || len(list) != 1 {
		t.Fatalf("list %v %v", list, err)
	}
}

func writeFile(path string) error { return os.WriteFile(path, []byte("x"), 0o600) }
