package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
	"github.com/meshhold/meshhold/http/openapi"
	"github.com/meshhold/meshhold/messages"
)

// fakeReports keeps reports in memory; err, when set, answers every call.
type fakeReports struct {
	mu    sync.Mutex
	files map[string][]byte
	order []string
	err   error
}

func (f *fakeReports) Create(context.Context) (api.ReportInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return api.ReportInfo{}, f.err
	}
	id := fmt.Sprintf("report-%d", len(f.order)+1)
	f.files[id] = []byte("PK zip of " + id)
	f.order = append(f.order, id)
	return f.info(id), nil
}

func (f *fakeReports) info(id string) api.ReportInfo {
	return api.ReportInfo{ID: id, Name: id + ".zip", SizeBytes: int64(len(f.files[id])), CreatedMs: 1_700_000_000_000}
}

func (f *fakeReports) List() ([]api.ReportInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []api.ReportInfo
	for _, id := range slices.Backward(f.order) {
		if _, ok := f.files[id]; ok {
			out = append(out, f.info(id))
		}
	}
	return out, nil
}

type readSeekCloser struct{ *bytes.Reader }

func (readSeekCloser) Close() error { return nil }

func (f *fakeReports) Open(id string) (io.ReadCloser, api.ReportInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, api.ReportInfo{}, f.err
	}
	b, ok := f.files[id]
	if !ok {
		return nil, api.ReportInfo{}, messages.NotFound("report")
	}
	return readSeekCloser{bytes.NewReader(b)}, f.info(id), nil
}

func (f *fakeReports) Delete(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if _, ok := f.files[id]; !ok {
		return messages.NotFound("report")
	}
	delete(f.files, id)
	return nil
}

// diagRouter serves d's routes with apitest's credentials.
func diagRouter(d *api.Diagnostics) http.Handler {
	return api.NewRouter(d.Routes(), api.RouterDeps{Auth: apitest.Authenticator{}})
}

// diagCall sends one request with the test bearer (or, with query, ?token=).
func diagCall(h http.Handler, method, path string, query bool, header ...string) *httptest.ResponseRecorder {
	if query {
		path += "?token=" + apitest.GoodToken
	}
	req := httptest.NewRequest(method, path, nil)
	if !query {
		req.Header.Set("Authorization", "Bearer "+apitest.GoodToken)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestDiagnosticsReportLifecycle(t *testing.T) {
	h := diagRouter(&api.Diagnostics{Reports: &fakeReports{files: map[string][]byte{}}})
	const base = "/api/v1/diagnostics/reports"

	rec := diagCall(h, http.MethodGet, base, false)
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"reports":[]}` {
		t.Fatalf("empty list: %d %s", rec.Code, rec.Body)
	}
	rec = diagCall(h, http.MethodPost, base, false)
	var info api.ReportInfo
	if err := json.Unmarshal(rec.Body.Bytes(), &info); rec.Code != http.StatusCreated || err != nil || info.ID != "report-1" || info.SizeBytes == 0 {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	diagCall(h, http.MethodPost, base, false)
	rec = diagCall(h, http.MethodGet, base, false)
	var list api.ReportListReply
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list.Reports) != 2 || list.Reports[0].ID != "report-2" {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}

	rec = diagCall(h, http.MethodGet, base+"/report-1", true) // <a download>: ?token=
	hd := rec.Header()
	if rec.Code != http.StatusOK || rec.Body.String() != "PK zip of report-1" || hd.Get("Content-Type") != "application/zip" ||
		hd.Get("Content-Disposition") != `attachment; filename=report-1.zip` || hd.Get("Cache-Control") != "no-store" {
		t.Fatalf("download: %d %v %q", rec.Code, hd, rec.Body)
	}
	if rec = diagCall(h, http.MethodGet, base+"/report-1", false, "Range", "bytes=0-1"); rec.Code != http.StatusPartialContent || rec.Body.String() != "PK" {
		t.Fatalf("range: %d %q", rec.Code, rec.Body)
	}
	if rec = diagCall(h, http.MethodHead, base+"/report-1", false); rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != "18" {
		t.Fatalf("head: %d %v", rec.Code, rec.Header())
	}

	if rec = diagCall(h, http.MethodDelete, base+"/report-1", false); rec.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	for _, m := range []string{http.MethodDelete, http.MethodGet} {
		if rec = diagCall(h, m, base+"/report-1", false); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `"report not found"`) {
			t.Fatalf("%s of a deleted report: %d %s", m, rec.Code, rec.Body)
		}
	}
	// ?token= is for the download only.
	if rec = diagCall(h, http.MethodDelete, base+"/report-2", true); rec.Code != http.StatusUnauthorized {
		t.Fatalf("delete with ?token=: %d", rec.Code)
	}
}

// No reports folder: every route answers 503, with the store's public message when it has one.
func TestDiagnosticsUnavailable(t *testing.T) {
	noFolder := fmt.Errorf("%w: no writable reports folder", messages.ErrSetupRequired)
	for name, d := range map[string]*api.Diagnostics{
		"no store":  {},
		"no folder": {Reports: &fakeReports{files: map[string][]byte{}, err: noFolder}},
	} {
		h := diagRouter(d)
		for _, rt := range d.Routes() {
			rec := diagCall(h, rt.Method, apitest.ConcretePath(rt.Pattern), false)
			if rec.Code != http.StatusServiceUnavailable {
				t.Errorf("%s: %s: %d %s", name, rt, rec.Code, rec.Body)
			}
			if name == "no folder" && !strings.Contains(rec.Body.String(), "no writable reports folder") {
				t.Errorf("%s: %s: body %s does not say why", name, rt, rec.Body)
			}
		}
	}
}

// The routes are the reference's, with its access rules, and each is described for OpenAPI.
func TestDiagnosticsRoutesDocumented(t *testing.T) {
	routes := (&api.Diagnostics{}).Routes()
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
	for _, want := range []string{`"application/zip"`, `"201"`, `"ReportListReply"`, `"queryToken"`} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("the OpenAPI document lacks %s", want)
		}
	}
}
