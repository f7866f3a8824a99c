package audit_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/actors/audit"
	"github.com/meshhold/meshhold/persist"
)

func TestAudited(t *testing.T) {
	for _, typ := range []string{"login_succeeded", "login_failed", "login_locked_out", "logged_out", "password_changed",
		"bootstrap_exchanged", "token_created", "token_revoked", "settings_changed", "vault_deleted", "network_created",
		"network_peer_added", "s3_grant_set", "mgmt_key_revoked", "swarm_key_rotated"} {
		if !audit.Audited(typ) {
			t.Errorf("%s is not audited", typ)
		}
	}
	for _, typ := range []string{"", "message_posted", "stream_gap", "network_", "vault_synced", "login"} {
		if audit.Audited(typ) {
			t.Errorf("%q is audited", typ)
		}
	}
}

// docs/audit.md lists exactly the audited types.
func TestDocsListAuditedTypes(t *testing.T) {
	doc, err := os.ReadFile("../../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range audit.AuditedTypes() {
		if !strings.Contains(string(doc), "`"+typ+"`") {
			t.Errorf("docs/audit.md does not list `%s`", typ)
		}
	}
}

// The example in docs/audit.md verifies by the documented algorithm.
func TestDocsExampleVerifies(t *testing.T) {
	doc, err := os.ReadFile("../../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(doc), "```jsonl\n")
	block, _, _ = strings.Cut(block, "```")
	if !ok || strings.Count(block, "\n") != 2 {
		t.Fatalf("no two-line jsonl example in docs/audit.md")
	}
	var lines [][]byte
	for _, l := range strings.Split(strings.TrimSpace(block), "\n") {
		lines = append(lines, []byte(l))
	}
	checkLines(t, lines)
}

func TestConfigValidate(t *testing.T) {
	if err := audit.Defaults().Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (audit.Config{MaxRecords: 10}).Validate(); err == nil || !strings.HasPrefix(err.Error(), "audit.max_records:") {
		t.Fatalf("max_records 10: %v", err)
	}
}

// Records carry their own seq, the event's fields and data, and chain by prev.
func TestRecordsChain(t *testing.T) {
	r := newRig(t, 100)
	ws := r.commit("token_created", "message_posted", "login_failed")
	if len(ws) != 2+2 { // two records, the head, the oldest-seq marker
		t.Fatalf("writes: %+v", ws)
	}
	r.commit("vault_synced") // nothing audited: no writes at all
	if ws := r.ring.Prepare(r.events("vault_synced")); ws != nil {
		t.Fatalf("a commit without audited events writes %+v", ws)
	}
	r.ring.Done(true)
	r.commit("logged_out")
	lines := r.lines()
	if len(lines) != 3 {
		t.Fatalf("%d lines", len(lines))
	}
	var recs []audit.Record
	for _, l := range lines {
		var rec audit.Record
		if err := json.Unmarshal(l, &rec); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	first := recs[0]
	if first.Seq != 1 || first.Type != "token_created" || first.Entity != "auth/local" || first.LogSeq != 1 ||
		string(first.Data) != `{"ip":"127.0.0.1","n":1}` || first.Prev != strings.Repeat("0", 64) {
		t.Fatalf("first record: %s", lines[0])
	}
	if recs[1].Seq != 2 || recs[1].Type != "login_failed" || recs[1].LogSeq != 3 || recs[2].Seq != 3 || recs[2].Type != "logged_out" {
		t.Fatalf("records: %+v", recs)
	}
	checkLines(t, lines)
	rep := r.mustVerify()
	if rep.Records != 3 || rep.FirstSeq != 1 || rep.LastSeq != 3 || rep.HeadSeq != 3 || rep.HeadHash != recs[2].Hash {
		t.Fatalf("report: %+v", rep)
	}
}

// The ring keeps MaxRecords; the chain runs on across the wrap, and the head survives it.
func TestChainAcrossWrap(t *testing.T) {
	r := newRig(t, 5)
	r.audited(3)
	r.commit("token_created", "token_revoked", "login_failed", "vault_synced", "logged_out")
	r.audited(4)
	rep := r.mustVerify()
	if rep.Records != 5 || rep.FirstSeq != 7 || rep.LastSeq != 11 || rep.HeadSeq != 11 {
		t.Fatalf("report: %+v", rep)
	}
	checkLines(t, r.lines())
}

// A restart continues the chain from the stored head, also after the ring wrapped.
func TestRestartContinuesChain(t *testing.T) {
	r := newRig(t, 4)
	r.audited(6)
	before := r.verify()
	r.restart()
	r.audited(3)
	rep := r.mustVerify()
	if rep.HeadSeq != 9 || rep.FirstSeq != 6 || rep.Records != 4 {
		t.Fatalf("after restart: %+v (before %+v)", rep, before)
	}
	checkLines(t, r.lines())
	var sixth audit.Record
	json.Unmarshal(r.lines()[0], &sixth)
	if sixth.Seq != 6 {
		t.Fatalf("oldest kept %d", sixth.Seq)
	}
}

// Prepare changes nothing: a transaction that fails (Done(false)) leaves no trace, and the
// next commit takes the same seq.
func TestFailedCommitLeavesNoTrace(t *testing.T) {
	r := newRig(t, 100)
	r.audited(2)
	ws := r.ring.Prepare(r.events("token_created", "token_revoked"))
	if len(ws) == 0 {
		t.Fatal("no writes")
	}
	r.ring.Done(false) // the transaction failed: nothing was written
	r.ring.Prepare(r.events("password_changed"))
	r.ring.Done(false)
	r.commit("logged_out")
	rep := r.mustVerify()
	if rep.HeadSeq != 3 || rep.Records != 3 {
		t.Fatalf("report: %+v", rep)
	}
	var last audit.Record
	json.Unmarshal(r.lines()[2], &last)
	if last.Seq != 3 || last.Type != "logged_out" {
		t.Fatalf("last record: %+v", last)
	}
}

// A lowered max_records shrinks the ring a bounded number of deletions per commit.
func TestPruningIsBounded(t *testing.T) {
	r := newRig(t, 3000)
	for range 25 {
		r.commit(repeat("token_created", 100)...)
	}
	r.cfg.MaxRecords = 100
	r.restart()
	ws := r.commit("token_created")
	deletes := 0
	for _, w := range ws {
		if w.Delete {
			deletes++
		}
	}
	if deletes != 1+1024 {
		t.Fatalf("one record pruned %d records", deletes)
	}
	r.mustVerify()
	r.audited(2)
	rep := r.mustVerify()
	if rep.Records != 100 || rep.HeadSeq != 2503 || rep.FirstSeq != 2404 {
		t.Fatalf("report: %+v", rep)
	}
}

// ts_ms never decreases along the chain, even when an event's clock ran behind.
func TestTimestampsNeverDecrease(t *testing.T) {
	r := newRig(t, 100)
	evs := r.events("token_created", "token_revoked")
	evs[1].TsMs = evs[0].TsMs - 5000
	r.store.Commit(r.ring.Prepare(evs))
	r.ring.Done(true)
	var a, b audit.Record
	lines := r.lines()
	json.Unmarshal(lines[0], &a)
	json.Unmarshal(lines[1], &b)
	if b.TsMs != a.TsMs {
		t.Fatalf("ts_ms %d after %d", b.TsMs, a.TsMs)
	}
}

func TestDisabledRingWritesNothing(t *testing.T) {
	r := newRig(t, 100)
	r.cfg.Enabled = false
	r.restart()
	if ws := r.ring.Prepare(r.events("token_created")); ws != nil || r.ring.Hooks() != nil {
		t.Fatalf("a disabled ring writes %+v", ws)
	}
	r.ring.Done(true)
}

// Odd event data stays one JSON line and verifiable.
func TestOddData(t *testing.T) {
	r := newRig(t, 100)
	evs := r.events("token_created", "token_revoked", "logged_out")
	evs[0].Data = nil
	evs[1].Data = []byte("not json\n")
	evs[2].Data = []byte("{\n  \"name\": \"a\\nb\",\n  \"html\": \"<&>\" }")
	evs[2].Type = "logged_out"
	r.store.Commit(r.ring.Prepare(evs))
	r.ring.Done(true)
	lines := r.lines()
	for _, l := range lines {
		if strings.ContainsRune(string(l), '\n') {
			t.Fatalf("line with a newline: %q", l)
		}
	}
	if !strings.Contains(string(lines[0]), `"data":{}`) || !strings.Contains(string(lines[1]), `"data":{"raw":"not json\n"}`) ||
		!strings.Contains(string(lines[2]), `"data":{"name":"a\nb","html":"<&>"}`) {
		t.Fatalf("lines:\n%s", strings.Join(strings.Fields(string(joinLines(lines))), "\n"))
	}
	checkLines(t, lines)
	r.mustVerify()
}

// A store that refuses the commit: the ring stays where it was.
func TestCommitErrorKeepsState(t *testing.T) {
	r := newRig(t, 100)
	r.audited(1)
	ws := r.ring.Prepare(r.events("token_created"))
	ws = append(ws, persist.Write{Bucket: "nope", Key: "x", Value: []byte("y")})
	err := r.store.Commit(ws)
	if !errors.Is(err, persist.ErrUnknownBucket) {
		t.Fatalf("commit: %v", err)
	}
	r.ring.Done(false)
	r.audited(1)
	if rep := r.mustVerify(); rep.HeadSeq != 2 {
		t.Fatalf("report %+v", rep)
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func joinLines(lines [][]byte) []byte {
	var out []byte
	for _, l := range lines {
		out = append(append(out, l...), '\n')
	}
	return out
}
