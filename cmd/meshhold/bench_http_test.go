package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkWhoamiVsBare runs wrk -t2 -c64 against GET /api/v1/whoami through the full stack
// (bearer auth on a read snapshot, chi, one actor hop) and, in the same run and the same
// process, against a bare net/http handler; it reports req/s and p99 of both and the ratios
// (targets: ≥ 0.6× req/s, p99 ≤ 2×). Needs wrk (apt-get install wrk).
func BenchmarkWhoamiVsBare(b *testing.B) {
	if _, err := exec.LookPath("wrk"); err != nil {
		b.Skip("wrk is not installed (apt-get install -y wrk)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	bare := ln.Addr().String()
	ln.Close()
	p := start(b, benchConfig(b, b.TempDir()), "--bench-bare-listen", bare, "--log-level", "error")
	defer p.stop()
	p.setPassword("benchmark password")
	tok := p.login("benchmark password")
	d := 10 * time.Second
	fullRPS, fullP99 := runWrk(b, p.api+"/whoami", tok, d)
	bareRPS, bareP99 := runWrk(b, "http://"+bare+"/", "", d)
	b.ReportMetric(fullRPS, "whoami-req/s")
	b.ReportMetric(bareRPS, "bare-req/s")
	b.ReportMetric(fullRPS/bareRPS, "x-bare-req/s")
	b.ReportMetric(fullP99, "whoami-p99-ms")
	b.ReportMetric(bareP99, "bare-p99-ms")
	b.ReportMetric(fullP99/bareP99, "x-bare-p99")
	b.ReportMetric(0, "ns/op")
}

var (
	wrkRPS = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkP99 = regexp.MustCompile(`\s99%\s+([\d.]+)(us|ms|s)`)
)

// runWrk returns requests per second and the p99 latency in ms of wrk -t2 -c64 against url.
func runWrk(b *testing.B, url, token string, d time.Duration) (rps, p99ms float64) {
	args := []string{"-t2", "-c64", "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency"}
	if token != "" {
		args = append(args, "-H", "Authorization: Bearer "+token)
	}
	out, err := exec.Command("wrk", append(args, url)...).CombinedOutput()
	if err != nil {
		b.Fatalf("wrk: %v\n%s", err, out)
	}
	text := string(out)
	if strings.Contains(text, "Non-2xx") {
		b.Fatalf("wrk saw errors:\n%s", text)
	}
	m, l := wrkRPS.FindStringSubmatch(text), wrkP99.FindStringSubmatch(text)
	if m == nil || l == nil {
		b.Fatalf("cannot read wrk's output:\n%s", text)
	}
	rps, _ = strconv.ParseFloat(m[1], 64)
	p99ms, _ = strconv.ParseFloat(l[1], 64)
	switch l[2] {
	case "us":
		p99ms /= 1000
	case "s":
		p99ms *= 1000
	}
	fmt.Printf("wrk %s: %.0f req/s, p99 %.2f ms\n", url, rps, p99ms)
	return rps, p99ms
}

// BenchmarkWhoamiInProcess measures the daemon's own cost of GET /whoami — router, access
// check, one actor hop, JSON — without sockets or wrk: the number to watch for regressions.
func BenchmarkWhoamiInProcess(b *testing.B) {
	dir := b.TempDir()
	os.WriteFile(dir+"/config.yaml", []byte("node:\n  listen_addrs: []\napi:\n  bind: 127.0.0.1:0\n"), 0o600)
	cfg, err := parseConfig(dir+"/config.yaml", mustRead(b, dir+"/config.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := &daemon{cfg: cfg, log: log, out: io.Discard, started: time.Now()}
	if err := d.start(); err != nil {
		b.Fatal(err)
	}
	go d.srv.Serve(d.ln)
	defer d.shutdown()
	p := &proc{t: b, api: d.apiURL(), dir: dir}
	p.setPassword("benchmark password")
	tok := p.login("benchmark password")
	h := d.srv.Handler
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", "/api/v1/whoami", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatal(rec.Code)
			}
		}
	})
}
