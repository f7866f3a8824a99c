package stream_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fleet is a set of SSE clients reading one server, recording publish → receive latencies.
type fleet struct {
	cancel    context.CancelFunc
	done      sync.WaitGroup
	lat       [][]int64 // per client; read only after stop
	delivered atomic.Int64
	lastRecv  atomic.Int64 // unix ns of the latest delivery
	failures  atomic.Int64
	want      int64
	busy      time.Duration // summed phase time, first publish to last delivery
}

// fanout is what a fleet measured.
type fanout struct {
	delivered, want int64
	perSec          float64
	p50, p99        time.Duration
}

// connect opens n streams on url and returns once every one has received ": connected".
func connect(b *testing.B, url string, n int) *fleet {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tr := &http.Transport{MaxIdleConnsPerHost: n, DisableCompression: true}
	hc := &http.Client{Transport: tr}
	f := &fleet{cancel: cancel, lat: make([][]int64, n)}
	var ready sync.WaitGroup
	for c := range n {
		ready.Add(1)
		f.done.Add(1)
		go func() {
			defer f.done.Done()
			err := readStream(ctx, hc, url, &ready, func(t int64) {
				now := time.Now().UnixNano()
				f.lat[c] = append(f.lat[c], now-t)
				f.delivered.Add(1)
				for cur := f.lastRecv.Load(); now > cur && !f.lastRecv.CompareAndSwap(cur, now); cur = f.lastRecv.Load() {
				}
			})
			if err != nil && ctx.Err() == nil {
				f.failures.Add(1)
			}
		}()
	}
	ready.Wait()
	go func() { <-ctx.Done(); tr.CloseIdleConnections() }()
	return f
}

// phase publishes rate events a second for dur (publish stamps its time in the event), then
// waits up to 10 s for every client to receive them all.
func (f *fleet) phase(clients, rate int, dur time.Duration, publish func(now int64)) {
	total := int(int64(rate) * int64(dur) / int64(time.Second))
	f.want += int64(total) * int64(clients)
	start := time.Now()
	for i := 0; i < total; {
		due := min(total, int(time.Since(start)*time.Duration(rate)/time.Second)+1)
		for ; i < due; i++ {
			publish(time.Now().UnixNano())
		}
		time.Sleep(250 * time.Microsecond)
	}
	for deadline := time.Now().Add(10 * time.Second); f.delivered.Load() < f.want && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	f.busy += time.Duration(f.lastRecv.Load() - start.UnixNano())
}

// stop closes the streams and sums up.
func (f *fleet) stop(b *testing.B) fanout {
	f.cancel()
	f.done.Wait()
	if n := f.failures.Load(); n > 0 {
		b.Logf("%d clients failed", n)
	}
	var all []int64
	for _, l := range f.lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	r := fanout{delivered: f.delivered.Load(), want: f.want}
	if len(all) > 0 {
		r.p50, r.p99 = time.Duration(all[len(all)/2]), time.Duration(all[len(all)*99/100])
		r.perSec = float64(r.delivered) / f.busy.Seconds()
	}
	return r
}

// readStream reads one SSE stream until ctx ends, calling got with each event's "t"; ready is
// released once ": connected" arrived (or the stream failed first).
func readStream(ctx context.Context, hc *http.Client, url string, ready *sync.WaitGroup, got func(t int64)) error {
	signalled := false
	defer func() {
		if !signalled {
			ready.Done()
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	br := bufio.NewReaderSize(resp.Body, 16<<10)
	key := []byte(`"t":`)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		switch {
		case !signalled && bytes.HasPrefix(line, []byte(": connected")):
			signalled = true
			ready.Done()
		case bytes.HasPrefix(line, []byte("data: ")):
			i := bytes.Index(line, key)
			if i < 0 {
				return fmt.Errorf("no t in %q", line)
			}
			rest := line[i+len(key):]
			t, err := strconv.ParseInt(string(rest[:bytes.IndexAny(rest, ",}")]), 10, 64)
			if err != nil {
				return err
			}
			got(t)
		}
	}
}
