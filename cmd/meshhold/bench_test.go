package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkDaemonStart measures start-to-ready of the real binary (exec until it prints its API
// URL; target ≤ 1 s) on a fresh folder and on an existing one, and its idle RSS one second after
// ready (target < 60 MiB).
func BenchmarkDaemonStart(b *testing.B) {
	for _, fresh := range []bool{true, false} {
		name := map[bool]string{true: "first-start", false: "restart"}[fresh]
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			var total time.Duration
			var rss float64
			for i := 0; i < b.N; i++ {
				if fresh {
					dir = b.TempDir()
				}
				cfg := benchConfig(b, dir)
				begin := time.Now()
				p := start(b, cfg)
				total += time.Since(begin)
				time.Sleep(time.Second)
				rss = max(rss, rssMiB(b, p.cmd.Process.Pid))
				p.stop()
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-ready")
			b.ReportMetric(rss, "idle-RSS-MiB")
			b.ReportMetric(0, "ns/op")
		})
	}
}

func benchConfig(b *testing.B, dir string) string {
	b.Helper()
	path := dir + "/config.yaml"
	if err := os.WriteFile(path, []byte("node:\n  listen_addrs: []\napi:\n  bind: 127.0.0.1:0\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// rssMiB reads VmRSS of pid from /proc.
func rssMiB(b *testing.B, pid int) float64 {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
