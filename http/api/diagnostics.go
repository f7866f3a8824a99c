package api

import (
	"context"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/meshhold/meshhold/messages"
)

// Diagnostics serves the diagnostics theme: the problem reports of the Profile page's "Report a
// problem" button, zip bundles of the redacted config, recent logs and system state.
type Diagnostics struct {
	// Reports builds and keeps the bundles; nil answers 503.
	Reports ReportStore
}

// ReportStore builds, lists, opens and deletes diagnostics reports. Without a writable reports
// folder every method answers an error the error table maps to 503; an unknown id is
// messages.ErrNotFound ("report not found").
type ReportStore interface {
	// Create builds a report of the daemon's current state and saves it.
	Create(ctx context.Context) (ReportInfo, error)
	// List returns the saved reports, newest first.
	List() ([]ReportInfo, error)
	// Open opens a report's zip for reading; an io.ReadSeeker is served with ranges.
	Open(id string) (io.ReadCloser, ReportInfo, error)
	// Delete removes a report.
	Delete(id string) error
}

// ReportInfo describes a saved report.
type ReportInfo struct {
	ID        string `json:"id"`
	Name      string `json:"name"` // the file name, e.g. report-20260102T150405.123Z-1a2b3c4d.zip
	SizeBytes int64  `json:"size_bytes"`
	CreatedMs int64  `json:"created_at_ms"`
}

// ReportListReply is GET /diagnostics/reports.
type ReportListReply struct {
	Reports []ReportInfo `json:"reports"`
}

// Routes lists the diagnostics theme's routes.
func (d *Diagnostics) Routes() []Route {
	return []Route{
		{Method: http.MethodPost, Pattern: "/diagnostics/reports", Access: Bearer, Handler: d.create,
			Doc: Doc{Summary: "Build a redacted report (config, recent logs, status, metrics, version) and save it; 503 without a writable reports folder",
				Response: ReportInfo{}, Status: http.StatusCreated}},
		{Method: http.MethodGet, Pattern: "/diagnostics/reports", Access: Bearer, Handler: d.list,
			Doc: Doc{Summary: "List the saved reports, newest first", Response: ReportListReply{}}},
		{Method: http.MethodGet, Pattern: "/diagnostics/reports/{id}", Access: BearerOrQueryToken, Handler: d.download,
			Doc: Doc{Summary: "Download a report's zip (bearer or ?token= for <a download>); 404 report not found", Produces: "application/zip"}},
		{Method: http.MethodDelete, Pattern: "/diagnostics/reports/{id}", Access: Bearer, Handler: d.delete,
			Doc: Doc{Summary: "Delete a report; 404 report not found"}},
	}
}

// store is d.Reports, or an error when there is none.
func (d *Diagnostics) store() (ReportStore, error) {
	if d.Reports == nil {
		return nil, messages.ErrUnavailable
	}
	return d.Reports, nil
}

func (d *Diagnostics) create(w http.ResponseWriter, r *http.Request) {
	s, err := d.store()
	if err != nil {
		WriteError(w, r, err)
		return
	}
	info, err := s.Create(r.Context())
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusCreated, info)
}

func (d *Diagnostics) list(w http.ResponseWriter, r *http.Request) {
	s, err := d.store()
	if err != nil {
		WriteError(w, r, err)
		return
	}
	list, err := s.List()
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if list == nil {
		list = []ReportInfo{}
	}
	WriteJSON(w, http.StatusOK, ReportListReply{Reports: list})
}

func (d *Diagnostics) download(w http.ResponseWriter, r *http.Request) {
	s, err := d.store()
	if err != nil {
		WriteError(w, r, err)
		return
	}
	rc, info, err := s.Open(chi.URLParam(r, "id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": info.Name}))
	h.Set("Cache-Control", "no-store") // it describes the node: keep it out of shared caches
	h.Set("X-Content-Type-Options", "nosniff")
	if rs, ok := rc.(io.ReadSeeker); ok {
		http.ServeContent(w, r, info.Name, time.UnixMilli(info.CreatedMs), rs)
		return
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = io.Copy(w, rc)
	}
}

func (d *Diagnostics) delete(w http.ResponseWriter, r *http.Request) {
	s, err := d.store()
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if err := s.Delete(chi.URLParam(r, "id")); err != nil {
		WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
