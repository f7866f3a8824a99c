package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/actors/audit"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages/eventv1"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/boltdb"
)

// runAudit runs `meshhold audit args…` in process.
func runAudit(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := auditCommand()
	cmd.SilenceUsage, cmd.SilenceErrors = true, true // as the root command does
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// auditStore writes n audit records into the store of the node configured in dir, as the
// committer would, and returns the store closed.
func auditStore(t *testing.T, dir string, n int) string {
	t.Helper()
	path := filepath.Join(dir, boltdb.FileName)
	store, err := boltdb.Open(path, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ring, err := audit.Open(store, audit.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	var evs []*eventv1.Event
	for i := range n {
		evs = append(evs, &eventv1.Event{Type: "login_failed", Entity: "auth/local", LogSeq: uint64(i + 1), TsMs: 1_700_000_000_000, Data: []byte(`{"ip":"192.0.2.1"}`)})
	}
	err = store.Commit(ring.Prepare(evs))
	ring.Done(err == nil)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// With the daemon stopped, verify reads the store itself: OK, then a record edited on disk
// is reported with exit 1 (an error) naming it.
func TestCLIAuditVerifyOffline(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir, "")
	if _, err := runAudit(t, "verify", "-c", cfg); err == nil || !strings.Contains(err.Error(), "no store") {
		t.Fatalf("without a store: %v", err)
	}
	path := auditStore(t, dir, 5)
	out, err := runAudit(t, "verify", "-c", cfg)
	if err != nil || !strings.Contains(out, "Audit chain OK") || !strings.Contains(out, "Records:  5 (seq 1–5)") || !strings.Contains(out, path) {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	store, err := boltdb.Open(path, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	var line []byte
	persist.ReadWith(store, func(v persist.View) error { line, _ = v.Get(persist.Audit, audit.Key(3)); return nil })
	edited := bytes.Replace(line, []byte("192.0.2.1"), []byte("192.0.2.2"), 1)
	if err := store.Commit([]persist.Write{{Bucket: persist.Audit, Key: audit.Key(3), Value: edited}}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	out, err = runAudit(t, "verify", "-c", cfg)
	var broken *auditBrokenError
	if !errors.As(err, &broken) || broken.at != 3 || !strings.Contains(out, "BROKEN at record 3") {
		t.Fatalf("after the edit: %v\n%s", err, out)
	}
	out, err = runAudit(t, "verify", "-c", cfg, "--json")
	var rep audit.Report
	if !errors.As(err, &broken) || json.Unmarshal([]byte(out), &rep) != nil || rep.OK || rep.BrokenAt != 3 {
		t.Fatalf("--json: %v %q", err, out)
	}
}

func TestCLIAuditPrint(t *testing.T) {
	var out bytes.Buffer
	page := api.AuditPage{Records: []audit.Record{
		{Seq: 7, TsMs: 1_700_000_000_000, Type: "login_failed", Entity: "auth/local", Data: json.RawMessage(`{"ip":"192.0.2.1","failures":3}`)},
		{Seq: 6, TsMs: 1_700_000_000_000, Type: "token_created", Entity: "auth/local", Data: json.RawMessage(`{"name":"my ci","token_id":"abc"}`)},
	}, NextCursor: "6"}
	if err := printAuditRecords(&out, page); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"SEQ", "login_failed", "failures=3 ip=192.0.2.1", `name="my ci" token_id=abc`, "--cursor 6"} {
		if !strings.Contains(s, want) {
			t.Errorf("listing lacks %q:\n%s", want, s)
		}
	}
	out.Reset()
	printAuditReport(&out, audit.Report{OK: false, Records: 4, FirstSeq: 2, LastSeq: 5, HeadSeq: 5, HeadHash: "ab", BrokenAt: 3, Reason: "record 3 is missing"}, "here")
	if s := out.String(); !strings.Contains(s, "BROKEN at record 3: record 3 is missing") || !strings.Contains(s, "Head:     5 ab") {
		t.Fatalf("report:\n%s", s)
	}
	if _, err := runAudit(t, "ls", "--since", "-1h", "-c", filepath.Join(t.TempDir(), "c.yaml")); err == nil || !strings.Contains(err.Error(), "--since") {
		t.Fatalf("negative --since: %v", err)
	}
}
