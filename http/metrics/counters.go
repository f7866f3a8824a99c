package metrics

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshhold/meshhold/actors/host"
)

// Classes names the status classes, index 0 for 1xx through 4 for 5xx.
var Classes = [5]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// Unmatched is the route label of requests no route took (404, 405, OPTIONS).
const Unmatched = "unmatched"

// Counters are the daemon's own counters; every method is safe for concurrent use and the ones
// on the request path are a few atomic adds.
type Counters struct {
	routes    atomic.Pointer[map[string]*routeStats] // copy on write: the pattern set is bounded by the route table
	addRoute  sync.Mutex
	unmatched routeStats

	bytesIn, bytesOut atomic.Uint64
	openConns         atomic.Int64
	commits, events   atomic.Uint64
	commitTime        histogram

	sseClients, peers atomic.Pointer[func() int]

	reg *prometheus.Registry
}

// routeStats counts one route's requests by status class.
type routeStats struct {
	byClass [5]atomic.Uint64
}

// New returns zeroed counters and their Prometheus registry; version labels meshhold_build_info.
func New(version string) *Counters {
	c := &Counters{}
	empty := map[string]*routeStats{}
	c.routes.Store(&empty)
	c.reg = newRegistry(c, version)
	return c
}

// ConnState is an http.Server ConnState hook counting open connections.
func (c *Counters) ConnState(_ net.Conn, s http.ConnState) {
	switch s {
	case http.StateNew:
		c.openConns.Add(1)
	case http.StateHijacked, http.StateClosed:
		c.openConns.Add(-1)
	}
}

// ObserveCommit counts one group commit; chain it into host.CommitterDeps.Stats.
func (c *Counters) ObserveCommit(s host.CommitStats) {
	c.commits.Add(1)
	c.events.Add(uint64(s.Events))
	c.commitTime.observe(s.Took)
}

// SetSSEClients sets the gauge of connected event-stream clients (stream.Broadcaster.Clients).
func (c *Counters) SetSSEClients(fn func() int) { c.sseClients.Store(&fn) }

// SetPeers sets the gauge of connected mesh peers; without it the gauge reads 0.
func (c *Counters) SetPeers(fn func() int) { c.peers.Store(&fn) }

// gauge reads a gauge function, 0 when unset.
func gauge(p *atomic.Pointer[func() int]) int {
	if fn := p.Load(); fn != nil && *fn != nil {
		return (*fn)()
	}
	return 0
}

// countRequest adds one request of status to route's counters.
func (c *Counters) countRequest(route string, status int) {
	class := status/100 - 1
	if class < 0 || class > 4 {
		return
	}
	c.route(route).byClass[class].Add(1)
}

// route returns the counters of a route pattern, adding them on first use.
func (c *Counters) route(pattern string) *routeStats {
	if pattern == "" || pattern == Unmatched {
		return &c.unmatched
	}
	if rs, ok := (*c.routes.Load())[pattern]; ok {
		return rs
	}
	c.addRoute.Lock()
	defer c.addRoute.Unlock()
	old := *c.routes.Load()
	if rs, ok := old[pattern]; ok {
		return rs
	}
	next := make(map[string]*routeStats, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	rs := &routeStats{}
	next[pattern] = rs
	c.routes.Store(&next)
	return rs
}

// eachRoute calls fn for every route with requests counted, the unmatched ones last.
func (c *Counters) eachRoute(fn func(route string, rs *routeStats)) {
	for k, v := range *c.routes.Load() {
		fn(k, v)
	}
	fn(Unmatched, &c.unmatched)
}

// Snapshot is a reading of the counters at one moment.
type Snapshot struct {
	Requests        [5]uint64 // by status class, 1xx first
	BytesIn         uint64
	BytesOut        uint64
	OpenConns       int64
	Commits         uint64
	EventsPublished uint64
	SSEClients      int
	Peers           int
}

// Snapshot reads every counter and gauge.
func (c *Counters) Snapshot() Snapshot {
	s := Snapshot{
		BytesIn: c.bytesIn.Load(), BytesOut: c.bytesOut.Load(), OpenConns: c.openConns.Load(),
		Commits: c.commits.Load(), EventsPublished: c.events.Load(),
		SSEClients: gauge(&c.sseClients), Peers: gauge(&c.peers),
	}
	c.eachRoute(func(_ string, rs *routeStats) {
		for i := range rs.byClass {
			s.Requests[i] += rs.byClass[i].Load()
		}
	})
	return s
}
