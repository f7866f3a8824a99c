package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
	"github.com/meshhold/meshhold/http/metrics"
)

// metricsRouter serves /system/metrics from a sampler holding samples a minute apart from t0.
func metricsRouter(t *testing.T, n int) (http.Handler, time.Time) {
	t.Helper()
	s := metrics.NewSampler(metrics.New("test"), time.Minute)
	t0 := time.Now().Add(time.Minute).Truncate(time.Minute)
	for i := range n {
		s.SampleAt(t0.Add(time.Duration(i) * time.Minute))
	}
	return api.NewRouter((&api.Metrics{Sampler: s}).Routes(), api.RouterDeps{Auth: apitest.Authenticator{}}), t0
}

func getMetrics(h http.Handler, query, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/api/v1/system/metrics"+query, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestSystemMetrics(t *testing.T) {
	h, t0 := metricsRouter(t, 30)
	ms := func(min int) string { return strconv.FormatInt(t0.Add(time.Duration(min)*time.Minute).UnixMilli(), 10) }
	for _, tc := range []struct {
		query       string
		n           int
		first, last int // minutes after t0
	}{
		{"", 30, 0, 29},
		{"?from=" + ms(10), 20, 10, 29},
		{"?to=" + ms(4), 5, 0, 4},
		{"?from=" + ms(10) + "&to=" + ms(12), 3, 10, 12},
		{"?from=" + ms(10) + "&to=" + ms(10), 1, 10, 10},
		{"?from=&to=", 30, 0, 29},
		{"?from=" + ms(40), 0, 0, 0},
	} {
		rec := getMetrics(h, tc.query, apitest.GoodToken)
		var body api.MetricsReply
		if err := json.Unmarshal(rec.Body.Bytes(), &body); rec.Code != http.StatusOK || err != nil {
			t.Fatalf("%s: %d %s", tc.query, rec.Code, rec.Body)
		}
		if body.IntervalMs != 60_000 || len(body.Samples) != tc.n || body.Samples == nil {
			t.Errorf("%s: interval %d, %d samples, want %d", tc.query, body.IntervalMs, len(body.Samples), tc.n)
			continue
		}
		if tc.n > 0 && (strconv.FormatInt(body.Samples[0].TsMs, 10) != ms(tc.first) || strconv.FormatInt(body.Samples[tc.n-1].TsMs, 10) != ms(tc.last)) {
			t.Errorf("%s: samples from %d to %d", tc.query, body.Samples[0].TsMs, body.Samples[tc.n-1].TsMs)
		}
	}
	var raw map[string]any
	json.Unmarshal(getMetrics(h, "?from="+ms(0)+"&to="+ms(0), apitest.GoodToken).Body.Bytes(), &raw)
	sample := raw["samples"].([]any)[0].(map[string]any)
	for _, key := range []string{"ts_ms", "span_ms", "cpu_percent", "rss_bytes", "goroutines", "open_conns", "requests", "bytes_in", "bytes_out", "peers", "events_published"} {
		if _, ok := sample[key]; !ok {
			t.Errorf("a sample lacks %q: %v", key, sample)
		}
	}
	if req := sample["requests"].(map[string]any); len(req) != 5 || req["1xx"] == nil || req["5xx"] == nil {
		t.Errorf("requests %v", req)
	}
}

func TestSystemMetricsRefuses(t *testing.T) {
	h, _ := metricsRouter(t, 1)
	for _, tc := range []struct{ query, token, want string }{
		{"?from=yesterday", apitest.GoodToken, `from: \"yesterday\" is not a time`},
		{"?to=-5", apitest.GoodToken, `to: \"-5\" is not a time`},
		{"?from=1.5", apitest.GoodToken, `from: `},
		{"?from=2000&to=1000", apitest.GoodToken, `to: 1000 is before from (2000)`},
	} {
		rec := getMetrics(h, tc.query, tc.token)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want 400 with %q", tc.query, rec.Code, rec.Body, tc.want)
		}
	}
	if rec := getMetrics(h, "", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("no bearer: %d", rec.Code)
	}
	none := api.NewRouter((&api.Metrics{}).Routes(), api.RouterDeps{Auth: apitest.Authenticator{}})
	if rec := getMetrics(none, "", apitest.GoodToken); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("no sampler: %d", rec.Code)
	}
}

func TestMetricsRouteTable(t *testing.T) {
	routes := (&api.Metrics{}).Routes()
	apitest.CheckRoutes(t, routes, "../../docs/endpoints.tsv", "../../docs/api-extensions.tsv")
	d := routes[0].Doc
	if d.Summary == "" || d.Response == nil || len(d.Query) != 2 {
		t.Errorf("doc %+v", d)
	}
}

func TestRequireBearer(t *testing.T) {
	h := api.RequireBearer(apitest.Authenticator{}, nil, metrics.New("1.0").Handler())
	for _, tc := range []struct {
		name, header, query string
		code                int
	}{
		{"no header", "", "", http.StatusUnauthorized},
		{"wrong token", "Bearer nope", "", http.StatusUnauthorized},
		{"not a bearer", "Basic abc", "", http.StatusUnauthorized},
		{"query token", "", "?token=" + apitest.GoodToken, http.StatusUnauthorized},
		{"good", "Bearer " + apitest.GoodToken, "", http.StatusOK},
	} {
		r := httptest.NewRequest(http.MethodGet, metrics.Path+tc.query, nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != tc.code {
			t.Errorf("%s: %d %.200s", tc.name, rec.Code, rec.Body)
			continue
		}
		if tc.code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("%s: no WWW-Authenticate", tc.name)
		}
		if tc.code == http.StatusOK && !strings.Contains(rec.Body.String(), `meshhold_build_info{version="1.0"} 1`) {
			t.Errorf("%s: body lacks build info", tc.name)
		}
	}
}
