package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// A scrape beyond maxScrapes at once, or one taking longer than scrapeTimeout, gets a 503.
const (
	maxScrapes    = 4
	scrapeTimeout = 10 * time.Second
)

// Path is where the Prometheus endpoint is served, outside /api/v1.
const Path = "/metrics"

// Descriptions of the daemon's own metrics.
var (
	descRequests   = prometheus.NewDesc("meshhold_http_requests_total", "API requests answered, by status class and chi route pattern (\"unmatched\": no route).", []string{"code_class", "route"}, nil)
	descBytesIn    = prometheus.NewDesc("meshhold_http_bytes_in_total", "Request body bytes read by API handlers.", nil, nil)
	descBytesOut   = prometheus.NewDesc("meshhold_http_bytes_out_total", "Response body bytes written by API handlers.", nil, nil)
	descOpenConns  = prometheus.NewDesc("meshhold_http_open_connections", "Open connections to the API listener.", nil, nil)
	descEvents     = prometheus.NewDesc("meshhold_events_published_total", "Events committed and published on the bus.", nil, nil)
	descCommits    = prometheus.NewDesc("meshhold_commits_total", "Group commits.", nil, nil)
	descCommitSecs = prometheus.NewDesc("meshhold_commit_seconds", "Duration of a group commit: syncfs of the block folder, the bbolt transaction, publishing.", nil, nil)
	descSSE        = prometheus.NewDesc("meshhold_sse_clients", "Connected event-stream (SSE) clients.", nil, nil)
	descPeers      = prometheus.NewDesc("meshhold_peers", "Connected mesh peers.", nil, nil)
	descBuildInfo  = prometheus.NewDesc("meshhold_build_info", "Always 1; the daemon's version is a label.", []string{"version"}, nil)
)

// newRegistry registers the Go and process collectors and c's own metrics.
func newRegistry(c *Counters, version string) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collector{c: c, version: version},
	)
	return reg
}

// Registry is the registry Handler serves; other subsystems may register their collectors.
func (c *Counters) Registry() *prometheus.Registry { return c.reg }

// Handler serves the registry in the Prometheus text format (or what the scraper negotiates)
// to GET and HEAD, without any access check: wrap it (api.RequireBearer) or serve it on the
// open listener.
func (c *Counters) Handler() http.Handler {
	prom := promhttp.HandlerFor(c.reg, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: maxScrapes,
		Timeout:             scrapeTimeout,
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed; use GET", http.StatusMethodNotAllowed)
			return
		}
		prom.ServeHTTP(w, r)
	})
}

// collector exposes Counters to Prometheus, read at scrape time.
type collector struct {
	c       *Counters
	version string
}

func (k collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRequests, descBytesIn, descBytesOut, descOpenConns, descEvents,
		descCommits, descCommitSecs, descSSE, descPeers, descBuildInfo} {
		ch <- d
	}
}

func (k collector) Collect(ch chan<- prometheus.Metric) {
	c := k.c
	c.eachRoute(func(route string, rs *routeStats) {
		for i := range rs.byClass {
			if n := rs.byClass[i].Load(); n > 0 {
				ch <- prometheus.MustNewConstMetric(descRequests, prometheus.CounterValue, float64(n), Classes[i], route)
			}
		}
	})
	counter := func(d *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	gaugeOf := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter(descBytesIn, c.bytesIn.Load())
	counter(descBytesOut, c.bytesOut.Load())
	gaugeOf(descOpenConns, float64(c.openConns.Load()))
	counter(descEvents, c.events.Load())
	counter(descCommits, c.commits.Load())
	count, sum, buckets := c.commitTime.read()
	ch <- prometheus.MustNewConstHistogram(descCommitSecs, count, sum, buckets)
	gaugeOf(descSSE, float64(gauge(&c.sseClients)))
	gaugeOf(descPeers, float64(gauge(&c.peers)))
	ch <- prometheus.MustNewConstMetric(descBuildInfo, prometheus.GaugeValue, 1, k.version)
}

// Mount serves scrape at Path and every other request with rest, without ServeMux's path
// cleaning, so the API's own conventions (404, 405) stay as they are.
func Mount(rest, scrape http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == Path {
			scrape.ServeHTTP(w, r)
			return
		}
		rest.ServeHTTP(w, r)
	})
}
