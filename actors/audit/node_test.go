package audit_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/audit"
	"github.com/meshhold/meshhold/actors/auth"
	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/node"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/eventv1"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/boltdb"
)

// nodeRig is the real pipeline: a node over bbolt with the auth actor and the ring as its
// commit hook, as the daemon assembles them.
type nodeRig struct {
	tb    testing.TB
	store *boltdb.Store
	node  *node.Node
	mgr   *host.Manager
	flaky *failNext
}

// failNext fails the next commit on request.
type failNext struct {
	persist.Store
	fail atomic.Bool
}

func (f *failNext) Commit(ws []persist.Write) error {
	if f.fail.CompareAndSwap(true, false) {
		return fmt.Errorf("injected commit failure")
	}
	return f.Store.Commit(ws)
}

func startNode(tb testing.TB, path string, cfg audit.Config, opts boltdb.Options) *nodeRig {
	tb.Helper()
	store, err := boltdb.Open(path, opts)
	if err != nil {
		tb.Fatal(err)
	}
	n := &nodeRig{tb: tb, store: store, flaky: &failNext{Store: store}}
	ring, err := audit.Open(store, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if n.node, err = node.Start(node.Deps{Store: n.flaky, NodeID: "12D3KooWnode", Logger: log, Hooks: ring.Hooks()}); err != nil {
		tb.Fatal(err)
	}
	if n.mgr, err = n.node.Register(messages.AuthKind, auth.Load(auth.Config{MaxAttempts: 10, Window: time.Minute, Lockout: time.Minute})); err != nil {
		tb.Fatal(err)
	}
	return n
}

func (n *nodeRig) stop() {
	n.tb.Helper()
	if err := n.node.Stop(context.Background()); err != nil {
		n.tb.Fatal(err)
	}
	if err := n.store.Close(); err != nil {
		n.tb.Fatal(err)
	}
}

func ask[R any](n *nodeRig, msg any) (R, error) {
	return host.AskChild[R](context.Background(), n.node.Root, n.mgr, messages.AuthID, msg, 10*time.Second)
}

func must[R any](n *nodeRig, msg any) R {
	n.tb.Helper()
	r, err := ask[R](n, msg)
	if err != nil {
		n.tb.Fatalf("%T: %v", msg, err)
	}
	return r
}

// session builds a new session command payload.
func session() messages.NewSession {
	_, hash := auth.Mint(auth.SessionPrefix)
	return messages.NewSession{ID: auth.NewID(), TokenHash: hash, ExpiresMs: time.Now().Add(time.Hour).UnixMilli()}
}

// The auth actor's events are audited in order, with their data; one edited byte in the
// stopped node's file is reported at that record by Verify and Read, also after a restart.
func TestNodeAuditAndTamper(t *testing.T) {
	path := t.TempDir() + "/" + boltdb.FileName
	cfg := audit.Defaults()
	n := startNode(t, path, cfg, boltdb.Options{NoSync: true})
	const phc = "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA"
	must[messages.PasswordChanged](n, messages.SetPassword{Hash: phc, Via: "cli"})
	if _, err := ask[messages.SessionIssued](n, messages.FinishLogin{IP: "192.0.2.7", Hash: phc, OK: false, Session: session()}); err == nil {
		t.Fatal("a failed login succeeded")
	}
	s := session()
	must[messages.SessionIssued](n, messages.FinishLogin{IP: "192.0.2.8", Hash: phc, OK: true, Session: s})
	for _, name := range []string{"ci", "backup"} {
		_, hash := auth.Mint(auth.TokenPrefix)
		must[messages.TokenInfo](n, messages.CreateToken{ID: name + "-id", Name: name, Hash: hash})
	}
	must[messages.TokenRevoked](n, messages.RevokeToken{ID: "ci-id"})
	must[messages.LoggedOut](n, messages.Logout{TokenHash: s.TokenHash})
	n.stop()

	r := &rig{t: t, path: path, cfg: cfg}
	r.open()
	p := r.read(audit.Query{})
	want := []string{"logged_out", "token_revoked", "token_created", "token_created", "login_succeeded", "login_failed", "password_changed"}
	if len(p.Records) != len(want) {
		t.Fatalf("%d records: %+v", len(p.Records), p.Records)
	}
	for i, rec := range p.Records {
		if rec.Type != want[i] || rec.Entity != "auth/local" || rec.LogSeq == 0 {
			t.Fatalf("record %d: %+v", i, rec)
		}
	}
	if string(p.Records[5].Data) != `{"failures":1,"ip":"192.0.2.7"}` {
		t.Fatalf("login_failed data %s", p.Records[5].Data)
	}
	checkLines(t, r.lines())
	r.mustVerify()
	r.raw(replaceIn(t, 2, "192.0.2.7", "192.0.2.9"))
	rep := r.verify()
	if rep.OK || rep.BrokenAt != 2 {
		t.Fatalf("after the edit: %+v", rep)
	}
	r.close()

	n = startNode(t, path, cfg, boltdb.Options{NoSync: true})
	must[messages.TokenRevoked](n, messages.RevokeToken{ID: "backup-id"})
	n.stop()
	r.open()
	if rep := r.verify(); rep.OK || rep.BrokenAt != 2 || rep.HeadSeq != 8 || rep.Records != 8 {
		t.Fatalf("after a restart: %+v", rep)
	}
	if p, _ := audit.Read(r.store, audit.Query{}); p.Integrity.OK || p.Integrity.BrokenAt != 2 || len(p.Records) != 8 {
		t.Fatalf("read after a restart: %+v", p.Integrity)
	}
	r.raw(deleteKey(persist.Audit, audit.Key(1)))
	r.raw(replaceIn(t, 2, "192.0.2.9", "192.0.2.7")) // undo the edit; record 1 is now gone
	if rep := r.verify(); rep.OK || rep.BrokenAt != 1 || rep.Reason != "record 1 is missing" {
		t.Fatalf("after deleting record 1: %+v", rep)
	}
}

// An audited change and its record commit together: a failed transaction leaves neither, and
// every audited event of the event log has its record, by log_seq.
func TestRecordsCommitWithTheirEvents(t *testing.T) {
	path := t.TempDir() + "/" + boltdb.FileName
	n := startNode(t, path, audit.Defaults(), boltdb.Options{NoSync: true})
	for i := range 6 {
		_, hash := auth.Mint(auth.TokenPrefix)
		n.flaky.fail.Store(i == 2)
		_, err := ask[messages.TokenInfo](n, messages.CreateToken{ID: fmt.Sprint(i), Name: fmt.Sprint("t", i), Hash: hash})
		if (err != nil) != (i == 2) {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	n.stop()
	r := &rig{t: t, path: path, cfg: audit.Defaults()}
	r.open()
	var audited []uint64
	if _, _, err := (host.EventLog{Store: r.store}).Read(0, 0, func(ev *eventv1.Event) bool {
		if audit.Audited(ev.GetType()) {
			audited = append(audited, ev.GetLogSeq())
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	p := r.read(audit.Query{})
	if len(p.Records) != len(audited) || len(audited) != 5 {
		t.Fatalf("%d audited events, %d records", len(audited), len(p.Records))
	}
	for i, rec := range p.Records {
		if rec.LogSeq != audited[len(audited)-1-i] {
			t.Fatalf("record %d has log_seq %d, want %d", rec.Seq, rec.LogSeq, audited[len(audited)-1-i])
		}
	}
	r.mustVerify()
}
