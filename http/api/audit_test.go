package api_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/meshhold/meshhold/actors/audit"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
	"github.com/meshhold/meshhold/http/openapi"
	"github.com/meshhold/meshhold/messages/eventv1"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/boltdb"
)

// auditRig is a bbolt store holding n audit records (written as the committer would) behind
// the audit routes.
type auditRig struct {
	t     *testing.T
	store *boltdb.Store
	h     http.Handler
}

func newAuditRig(t *testing.T, n int) *auditRig {
	t.Helper()
	store, err := boltdb.Open(filepath.Join(t.TempDir(), boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ring, err := audit.Open(store, audit.Config{Enabled: true, MaxRecords: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	types := []string{"login_failed", "login_succeeded", "token_created", "token_revoked"}
	for i := 0; i < n; {
		var evs []*eventv1.Event
		for ; len(evs) < 100 && i < n; i++ {
			evs = append(evs, &eventv1.Event{Type: types[i%len(types)], Entity: "auth/local", LogSeq: uint64(i + 1),
				TsMs: 1_700_000_000_000 + int64(i)*1000, Data: []byte(fmt.Sprintf(`{"ip":"192.0.2.%d"}`, i%250))})
		}
		err := store.Commit(ring.Prepare(evs))
		ring.Done(err == nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	h := api.NewRouter((&api.Audit{Store: store}).Routes(), api.RouterDeps{Auth: apitest.Authenticator{}})
	return &auditRig{t: t, store: store, h: h}
}

func (r *auditRig) get(path string, out any) *httptest.ResponseRecorder {
	r.t.Helper()
	req := httptest.NewRequest(http.MethodGet, api.Prefix+path, nil)
	if !strings.Contains(path, "token=") {
		req.Header.Set("Authorization", "Bearer "+apitest.GoodToken)
	}
	w := httptest.NewRecorder()
	r.h.ServeHTTP(w, req)
	if out != nil && w.Code == http.StatusOK {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			r.t.Fatalf("GET %s: %v: %s", path, err, w.Body)
		}
	}
	return w
}

// tamper replaces old by new in the stored record of seq.
func (r *auditRig) tamper(seq uint64, old, new string) {
	r.t.Helper()
	var line []byte
	persist.ReadWith(r.store, func(v persist.View) error {
		line, _ = v.Get(persist.Audit, audit.Key(seq))
		return nil
	})
	if !bytes.Contains(line, []byte(old)) {
		r.t.Fatalf("record %d lacks %q", seq, old)
	}
	edited := bytes.Replace(line, []byte(old), []byte(new), 1)
	if err := r.store.Commit([]persist.Write{{Bucket: persist.Audit, Key: audit.Key(seq), Value: edited}}); err != nil {
		r.t.Fatal(err)
	}
}

func TestAuditList(t *testing.T) {
	r := newAuditRig(t, 250)
	var p api.AuditPage
	r.get("/audit", &p)
	if len(p.Records) != 100 || p.Records[0].Seq != 250 || p.Records[99].Seq != 151 || p.NextCursor != "151" || !p.Integrity.OK {
		t.Fatalf("first page: %d records, next %q, %+v", len(p.Records), p.NextCursor, p.Integrity)
	}
	top := p.Records[0]
	if top.Type != "login_succeeded" || top.Entity != "auth/local" || top.LogSeq != 250 || len(top.Hash) != 64 ||
		top.Prev != p.Records[1].Hash || string(top.Data) != `{"ip":"192.0.2.249"}` {
		t.Fatalf("record: %+v", top)
	}
	seen := 0
	for cursor := ""; ; {
		var p api.AuditPage
		r.get("/audit?limit=70&cursor="+cursor, &p)
		seen += len(p.Records)
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if seen != 250 {
		t.Fatalf("paging saw %d records", seen)
	}
	p = api.AuditPage{}
	r.get("/audit?types=login_failed,token_revoked&limit=3", &p)
	if len(p.Records) != 3 || p.Records[0].Seq != 249 || p.Records[1].Seq != 248 || p.Records[2].Seq != 245 {
		t.Fatalf("types: %+v", p.Records)
	}
	since := 1_700_000_000_000 + 247*1000
	p = api.AuditPage{}
	r.get(fmt.Sprint("/audit?since=", since), &p)
	if len(p.Records) != 3 || p.NextCursor != "" {
		t.Fatalf("since: %d records, next %q", len(p.Records), p.NextCursor)
	}
	for _, bad := range []string{"since=yesterday", "types=Login", "types=a,,b", "cursor=x", "cursor=0", "limit=0", "limit=1001"} {
		w := r.get("/audit?"+bad, nil)
		field, _, _ := strings.Cut(bad, "=")
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), field) {
			t.Errorf("?%s: %d %s", bad, w.Code, w.Body)
		}
	}
}

// The export streams every record as a verifiable JSON line, a chunk at a time, to a query
// token; the buffered bytes between flushes stay bounded whatever the ring's size.
func TestAuditExport(t *testing.T) {
	r := newAuditRig(t, 1300)
	w := &flushCounter{ResponseRecorder: httptest.NewRecorder()}
	req := httptest.NewRequest(http.MethodGet, api.Prefix+"/audit/export?token="+apitest.GoodToken, nil)
	r.h.ServeHTTP(w, req)
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/x-ndjson" || w.Header().Get(api.AuditHeadSeqHeader) != "1300" {
		t.Fatalf("export: %d %v", w.Code, w.Header())
	}
	if w.flushes < 3 || w.maxChunk > 512*400 {
		t.Fatalf("%d flushes, up to %d bytes between them", w.flushes, w.maxChunk)
	}
	lines := verifyExport(t, w.Body.Bytes())
	if len(lines) != 1300 || lines[1299].Hash != w.Header().Get(api.AuditHeadHashHeader) {
		t.Fatalf("%d lines", len(lines))
	}
	rec := r.get("/audit/export?after=1290", nil)
	if n := strings.Count(rec.Body.String(), "\n"); n != 10 {
		t.Fatalf("after=1290: %d lines", n)
	}
	if rec := r.get("/audit/export?after=x", nil); rec.Code != 400 {
		t.Fatalf("after=x: %d", rec.Code)
	}
}

// A record edited in the store shows in /audit's integrity and in /audit/verify.
func TestAuditTamper(t *testing.T) {
	r := newAuditRig(t, 30)
	var rep audit.Report
	r.get("/audit/verify", &rep)
	if !rep.OK || rep.Records != 30 || rep.HeadSeq != 30 {
		t.Fatalf("verify: %+v", rep)
	}
	r.tamper(12, "192.0.2.11", "192.0.2.99")
	r.get("/audit/verify", &rep)
	if rep.OK || rep.BrokenAt != 12 {
		t.Fatalf("verify after the edit: %+v", rep)
	}
	var p api.AuditPage
	r.get("/audit", &p)
	if p.Integrity.OK || p.Integrity.BrokenAt != 12 {
		t.Fatalf("list after the edit: %+v", p.Integrity)
	}
	p = api.AuditPage{}
	r.get("/audit?limit=5", &p) // records 26–30: their span does not reach record 12
	if !p.Integrity.OK || p.Integrity.FromSeq != 26 {
		t.Fatalf("a page far from the edit: %+v", p.Integrity)
	}
	rec := r.get("/audit/export", nil)
	if lines := strings.Split(rec.Body.String(), "\n"); len(lines) != 31 {
		t.Fatalf("export after the edit: %d lines", len(lines))
	}
	if err := checkExport(rec.Body.Bytes()); err == nil || !strings.Contains(err.Error(), "record 13") {
		t.Fatalf("an independent check of the export: %v", err)
	}
}

func TestAuditUnavailable(t *testing.T) {
	h := api.NewRouter((&api.Audit{}).Routes(), api.RouterDeps{Auth: apitest.Authenticator{}})
	for _, path := range []string{"/audit", "/audit/export", "/audit/verify"} {
		req := httptest.NewRequest(http.MethodGet, api.Prefix+path, nil)
		req.Header.Set("Authorization", "Bearer "+apitest.GoodToken)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusServiceUnavailable {
			t.Errorf("%s without a store: %d", path, w.Code)
		}
	}
}

// The routes carry the reference's access rules (and the verify extension's) and validate as
// an OpenAPI document.
func TestAuditRoutesDocumented(t *testing.T) {
	routes := (&api.Audit{}).Routes()
	apitest.CheckRoutes(t, routes, "../../docs/endpoints.tsv", "../../docs/api-extensions.tsv")
	doc, err := openapi.Document(routes, "test")
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := openapi3.NewLoader().LoadFromData(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := loaded.Validate(context.Background()); err != nil {
		t.Fatalf("the document does not validate: %v", err)
	}
	for _, want := range []string{`"application/x-ndjson"`, `"AuditPage"`, `"Report"`, `"queryToken"`, `"since"`} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("the OpenAPI document lacks %s", want)
		}
	}
}

// flushCounter counts flushes and the most bytes written between two of them.
type flushCounter struct {
	*httptest.ResponseRecorder
	flushes, pending, maxChunk int
}

func (f *flushCounter) Write(b []byte) (int, error) {
	f.pending += len(b)
	return f.ResponseRecorder.Write(b)
}

func (f *flushCounter) Flush() {
	f.flushes++
	f.maxChunk = max(f.maxChunk, f.pending)
	f.pending = 0
	f.ResponseRecorder.Flush()
}

// verifyExport checks an export by docs/audit.md and returns its records.
func verifyExport(t *testing.T, body []byte) []audit.Record {
	t.Helper()
	if err := checkExport(body); err != nil {
		t.Fatal(err)
	}
	var out []audit.Record
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		var rec audit.Record
		json.Unmarshal(sc.Bytes(), &rec)
		out = append(out, rec)
	}
	return out
}

// checkExport is the algorithm of docs/audit.md, written from the document: the body is the
// line without its final `,"hash":"…"` member, hash = SHA-256(prev bytes ‖ body), and each
// prev is the hash before it.
func checkExport(body []byte) error {
	var last string
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Bytes()
		var rec struct {
			Seq        uint64
			Prev, Hash string
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			return err
		}
		prev, _ := hex.DecodeString(rec.Prev)
		sum := sha256.Sum256(append(prev, append(bytes.Clone(line[:len(line)-75]), '}')...))
		if hex.EncodeToString(sum[:]) != rec.Hash {
			return fmt.Errorf("record %d: the hash does not match", rec.Seq)
		}
		if last != "" && rec.Prev != last {
			return fmt.Errorf("record %d: prev is not the previous record's hash", rec.Seq)
		}
		last = rec.Hash
	}
	return sc.Err()
}
