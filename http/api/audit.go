package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/meshhold/meshhold/actors/audit"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

// Audit serves the audit theme: the audit ring's records, their export and the chain check
// (actors/audit, docs/audit.md). It reads the store directly, as a read model: no actor hop.
type Audit struct {
	// Store is the node's record store; nil answers 503.
	Store persist.Store
}

// AuditPage is the body of GET /audit: records newest first, and the chain check of the span
// they were read from.
type AuditPage struct {
	Records []audit.Record `json:"records"`
	// NextCursor continues with older records (?cursor=); absent on the last page.
	NextCursor string          `json:"next_cursor,omitempty"`
	Integrity  audit.Integrity `json:"integrity"`
}

// Audit export response headers: the chain head when the export began, to anchor it.
const (
	AuditHeadSeqHeader  = "X-MeshHold-Audit-Head-Seq"
	AuditHeadHashHeader = "X-MeshHold-Audit-Head-Hash"
)

// exportChunk is how many records one read of an export visits before flushing them.
const exportChunk = 512

// maxAuditTypes bounds ?types=.
const maxAuditTypes = 64

// Routes lists the audit theme's routes.
func (a *Audit) Routes() []Route {
	return []Route{
		{Method: http.MethodGet, Pattern: "/audit", Access: Bearer, Handler: a.list, Doc: Doc{
			Summary:  "Audit records, newest first, each with its hash and prev, and the chain check of the span read (integrity.ok false and broken_at when it is broken)",
			Response: AuditPage{},
			Query: []Param{
				{Name: "since", Description: "only records with ts_ms at or after this time (ms since the epoch)", Type: "integer"},
				{Name: "types", Description: "comma-separated record types to keep, e.g. login_failed,token_created"},
				{Name: "cursor", Description: "the next_cursor of the previous page: continue with older records"},
				{Name: "limit", Description: "at most this many records (1–1000, default 100); a page may come back shorter, follow next_cursor", Type: "integer"},
			}}},
		{Method: http.MethodGet, Pattern: "/audit/export", Access: BearerOrQueryToken, Handler: a.export, Doc: Doc{
			Summary:  "Every audit record oldest first as JSON Lines, streamed (bearer or ?token=); each line verifies by the algorithm of docs/audit.md",
			Produces: "application/x-ndjson",
			Query:    []Param{{Name: "after", Description: "only records with seq above this one (resume an archive)", Type: "integer"}}}},
		{Method: http.MethodGet, Pattern: "/audit/verify", Access: Bearer, Handler: a.verify, Doc: Doc{
			Summary:  "Check the whole audit chain: every record's link, no gap, the oldest kept and the chain head (extension)",
			Response: audit.Report{}}},
	}
}

func (a *Audit) list(w http.ResponseWriter, r *http.Request) {
	if a.Store == nil {
		WriteError(w, r, messages.ErrUnavailable)
		return
	}
	q, err := auditQuery(r)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	p, err := audit.Read(a.Store, q)
	if err != nil {
		WriteError(w, r, auditStoreError(err))
		return
	}
	reply := AuditPage{Records: p.Records, Integrity: p.Integrity}
	if p.NextCursor > 0 {
		reply.NextCursor = strconv.FormatUint(p.NextCursor, 10)
	}
	WriteJSON(w, http.StatusOK, reply)
}

// auditQuery reads ?since, ?types, ?cursor and ?limit; errors name the parameter.
func auditQuery(r *http.Request) (audit.Query, error) {
	var q audit.Query
	v := r.URL.Query()
	if raw := v.Get("since"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 0 {
			return q, messages.Invalid("since", "%q is not a time in ms since the epoch", raw)
		}
		q.SinceMs = n
	}
	if raw := v.Get("types"); raw != "" {
		names := strings.Split(raw, ",")
		if len(names) > maxAuditTypes {
			return q, messages.Invalid("types", "at most %d types may be listed", maxAuditTypes)
		}
		for _, n := range names {
			if !snakeCase(n) {
				return q, messages.Invalid("types", "%q is not a record type; list snake_case types separated by commas, e.g. types=login_failed,token_created", n)
			}
		}
		q.Types = names
	}
	if raw := v.Get("cursor"); raw != "" {
		n, err := strconv.ParseUint(raw, 10, 64)
		if err != nil || n == 0 {
			return q, messages.Invalid("cursor", "%q is not a cursor; pass the next_cursor of the previous page", raw)
		}
		q.Cursor = n
	}
	if raw := v.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > audit.MaxLimit {
			return q, messages.Invalid("limit", "%q is not a number from 1 to %d", raw, audit.MaxLimit)
		}
		q.Limit = n
	}
	return q, nil
}

// snakeCase reports whether s is a snake_case name: lowercase letters, digits and underscores.
func snakeCase(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// export streams the ring as JSON Lines, a chunk per store read, flushing after each; it ends at
// the chain head of when it began, so a busy node cannot keep it going.
func (a *Audit) export(w http.ResponseWriter, r *http.Request) {
	if a.Store == nil {
		WriteError(w, r, messages.ErrUnavailable)
		return
	}
	var after uint64
	if raw := r.URL.Query().Get("after"); raw != "" {
		n, err := strconv.ParseUint(raw, 10, 64)
		if err != nil {
			WriteError(w, r, messages.Invalid("after", "%q is not a record seq", raw))
			return
		}
		after = n
	}
	head, err := audit.HeadOf(a.Store)
	if err != nil {
		WriteError(w, r, auditStoreError(err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("Content-Disposition", `attachment; filename="meshhold-audit.jsonl"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(AuditHeadSeqHeader, strconv.FormatUint(head.Seq, 10))
	h.Set(AuditHeadHashHeader, head.Hash)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead || head.Seq <= after {
		return
	}
	rc := http.NewResponseController(w)
	buf := make([]byte, 0, 64<<10)
	for cursor := after; cursor < head.Seq; {
		buf = buf[:0]
		n, last, err := audit.Lines(a.Store, cursor, head.Seq, exportChunk, func(_ uint64, line []byte) {
			buf = append(append(buf, line...), '\n')
		})
		if err != nil {
			// The status is sent: cut the connection so the client sees a broken download.
			loggerFrom(r.Context()).Error("audit export failed", "after", cursor, "err", err)
			panic(http.ErrAbortHandler)
		}
		if _, err := w.Write(buf); err != nil {
			return // the client went away
		}
		if err := rc.Flush(); err != nil {
			return
		}
		if n < exportChunk {
			return
		}
		cursor = last
	}
}

func (a *Audit) verify(w http.ResponseWriter, r *http.Request) {
	if a.Store == nil {
		WriteError(w, r, messages.ErrUnavailable)
		return
	}
	rep, err := audit.Verify(a.Store)
	if err != nil {
		WriteError(w, r, auditStoreError(err))
		return
	}
	WriteJSON(w, http.StatusOK, rep)
}

// auditStoreError marks a failed read of the store: 503, the cause only in the log.
func auditStoreError(err error) error { return fmt.Errorf("%w: %w", messages.ErrStorage, err) }
