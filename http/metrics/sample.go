package metrics

// Sample is one per-interval reading: gauges at TsMs, counters as the change since the sample
// before (over SpanMs).
type Sample struct {
	TsMs            int64   `json:"ts_ms"`
	SpanMs          int64   `json:"span_ms"`     // the time the deltas cover
	CPUPercent      float64 `json:"cpu_percent"` // process CPU over the span; 100 is one core busy
	RSSBytes        uint64  `json:"rss_bytes"`
	Goroutines      int     `json:"goroutines"`
	OpenConns       int64   `json:"open_conns"`
	Requests        ByClass `json:"requests"`
	BytesIn         uint64  `json:"bytes_in"`
	BytesOut        uint64  `json:"bytes_out"`
	Peers           int     `json:"peers"`
	EventsPublished uint64  `json:"events_published"`
}

// ByClass counts requests by status class.
type ByClass struct {
	C1xx uint64 `json:"1xx"`
	C2xx uint64 `json:"2xx"`
	C3xx uint64 `json:"3xx"`
	C4xx uint64 `json:"4xx"`
	C5xx uint64 `json:"5xx"`
}

// byClass converts counts indexed like Classes.
func byClass(n [5]uint64) ByClass {
	return ByClass{C1xx: n[0], C2xx: n[1], C3xx: n[2], C4xx: n[3], C5xx: n[4]}
}
