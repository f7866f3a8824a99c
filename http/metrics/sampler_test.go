package metrics_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/http/metrics"
)

func TestSamplerDeltas(t *testing.T) {
	c := metrics.New("test")
	srv := newServer(t, c)
	s := metrics.NewSampler(c, time.Minute)
	t0 := time.Now().Add(time.Minute)
	do(t, srv.Client(), "GET", srv.URL+"/things/1", "")
	do(t, srv.Client(), "GET", srv.URL+"/boom", "")
	c.ObserveCommit(host.CommitStats{Events: 5})
	c.SetPeers(func() int { return 3 })

	first := s.SampleAt(t0)
	if first.TsMs != t0.UnixMilli() || first.Requests.C2xx != 1 || first.Requests.C5xx != 1 ||
		first.BytesOut != 7+3 || first.EventsPublished != 5 || first.Peers != 3 || first.OpenConns != 1 {
		t.Errorf("first sample %+v", first)
	}
	if first.Goroutines < 1 || first.SpanMs < 59_000 {
		t.Errorf("goroutines %d, span %d ms", first.Goroutines, first.SpanMs)
	}
	if runtime.GOOS == "linux" && first.RSSBytes == 0 {
		t.Error("rss_bytes is 0 on Linux")
	}
	if first.CPUPercent < 0 {
		t.Errorf("cpu_percent %v", first.CPUPercent)
	}

	do(t, srv.Client(), "POST", srv.URL+"/upload", "abcd")
	second := s.SampleAt(t0.Add(time.Minute))
	want := metrics.ByClass{C2xx: 1}
	if second.Requests != want || second.BytesIn != 4 || second.BytesOut != 4 || second.EventsPublished != 0 || second.SpanMs != 60_000 {
		t.Errorf("second sample holds deltas %+v", second)
	}
}

func TestSamplerRingWrapsAndFilters(t *testing.T) {
	s := metrics.NewSampler(metrics.New("test"), time.Minute)
	t0 := time.Now().Add(time.Minute).Truncate(time.Minute)
	const taken = metrics.RingSize + 60
	for i := range taken {
		s.SampleAt(t0.Add(time.Duration(i) * time.Minute))
	}
	all := s.Samples(time.Time{}, time.Time{})
	if len(all) != metrics.RingSize {
		t.Fatalf("%d samples held, want %d", len(all), metrics.RingSize)
	}
	if all[0].TsMs != t0.Add(60*time.Minute).UnixMilli() || all[len(all)-1].TsMs != t0.Add((taken-1)*time.Minute).UnixMilli() {
		t.Errorf("ring holds %d..%d, want the newest %d, oldest first", all[0].TsMs, all[len(all)-1].TsMs, metrics.RingSize)
	}
	for i := 1; i < len(all); i++ {
		if all[i].TsMs-all[i-1].TsMs != 60_000 {
			t.Fatalf("samples %d and %d are not a minute apart", i-1, i)
		}
	}

	from, to := t0.Add(100*time.Minute), t0.Add(109*time.Minute)
	got := s.Samples(from, to)
	if len(got) != 10 || got[0].TsMs != from.UnixMilli() || got[9].TsMs != to.UnixMilli() {
		t.Errorf("[from, to] gave %d samples", len(got))
	}
	if got := s.Samples(from, time.Time{}); len(got) != taken-100 {
		t.Errorf("from only: %d samples, want %d", len(got), taken-100)
	}
	if got := s.Samples(time.Time{}, t0.Add(61*time.Minute)); len(got) != 2 {
		t.Errorf("to only: %d samples, want 2", len(got))
	}
	if got := s.Samples(t0.Add(-time.Hour), t0.Add(59*time.Minute)); got == nil || len(got) != 0 {
		t.Errorf("a window before the ring: %v, want an empty list", got)
	}
}

func TestSamplerStartStop(t *testing.T) {
	s := metrics.NewSampler(metrics.New("test"), 10*time.Millisecond)
	if s.Interval() != 10*time.Millisecond {
		t.Errorf("interval %v", s.Interval())
	}
	s.Start(context.Background())
	s.Start(context.Background()) // a second Start does nothing
	waitFor(t, func() bool { return len(s.Samples(time.Time{}, time.Time{})) >= 3 }, "three samples")
	s.Stop()
	n := len(s.Samples(time.Time{}, time.Time{}))
	time.Sleep(30 * time.Millisecond)
	if m := len(s.Samples(time.Time{}, time.Time{})); m != n {
		t.Errorf("%d samples after Stop, then %d", n, m)
	}
	s.Stop() // idempotent

	ctx, cancel := context.WithCancel(context.Background())
	s2 := metrics.NewSampler(metrics.New("test"), time.Hour)
	s2.Start(ctx)
	cancel()
	s2.Stop() // returns: the loop ended with ctx
	if got := s2.Samples(time.Time{}, time.Time{}); len(got) != 0 {
		t.Errorf("%d samples before the first was due", len(got))
	}
	if metrics.NewSampler(metrics.New("test"), 0).Interval() != metrics.DefaultInterval {
		t.Error("interval 0 is not the default")
	}
}
