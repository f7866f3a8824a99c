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

// fanout is what one paced fan-out run measured.
type fanout struct {
	delivered, want int64
	perSec          float64 // deliveries per second, first publish to last delivery
	p50, p99        time.Duration
}

// runFanout connects clients SSE readers to url, then calls publish rate times a second for
// dur (publish puts its nanosecond timestamp in the event as "t"), and waits for every client
// to have received every event, or gives up 10 s after the last publish.
func runFanout(b *testing.B, url string, clients, rate int, dur time.Duration, publish func(seq uint64, now int64)) fanout {
	b.Helper()
	total := int(int64(rate) * int64(dur) / int64(time.Second))
	tr := &http.Transport{MaxIdleConnsPerHost: clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ready, done sync.WaitGroup
	var delivered atomic.Int64
	var lastRecv atomic.Int64
	lat := make([][]int64, clients)
	errs := make(chan error, clients)
	for c := range clients {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			lat[c] = make([]int64, 0, total)
			err := readStream(ctx, hc, url, total, &ready, func(t int64) {
				now := time.Now().UnixNano()
				lat[c] = append(lat[c], now-t)
				delivered.Add(1)
				for cur := lastRecv.Load(); now > cur && !lastRecv.CompareAndSwap(cur, now); cur = lastRecv.Load() {
				}
			})
			if err != nil && ctx.Err() == nil {
				errs <- err
			}
		}()
	}
	ready.Wait()
	start := time.Now()
	for i := 0; i < total; {
		due := min(total, int(time.Since(start)*time.Duration(rate)/time.Second)+1)
		for ; i < due; i++ {
			publish(uint64(i+1), time.Now().UnixNano())
		}
		time.Sleep(250 * time.Microsecond)
	}
	finished := make(chan struct{})
	go func() { done.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(10 * time.Second):
	}
	cancel()
	<-finished
	select {
	case err := <-errs:
		b.Logf("a client failed: %v", err)
	default:
	}
	var all []int64
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	f := fanout{delivered: delivered.Load(), want: int64(total) * int64(clients)}
	if len(all) > 0 {
		f.p50 = time.Duration(all[len(all)/2])
		f.p99 = time.Duration(all[len(all)*99/100])
		f.perSec = float64(f.delivered) / time.Duration(lastRecv.Load()-start.UnixNano()).Seconds()
	}
	return f
}

// readStream reads one SSE stream until it has seen n events, calling got with each event's
// "t"; ready is released once ": connected" arrived.
func readStream(ctx context.Context, hc *http.Client, url string, n int, ready *sync.WaitGroup, got func(t int64)) error {
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
	for seen := 0; seen < n; {
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
			j := bytes.IndexAny(rest, ",}")
			t, err := strconv.ParseInt(string(rest[:j]), 10, 64)
			if err != nil {
				return err
			}
			got(t)
			seen++
		}
	}
	return nil
}
