package files

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/persist/blockgc"
	"github.com/meshhold/meshhold/persist/blockstore"
)

const rssChildEnv = "MESHHOLD_FILES_RSS_CHILD"

// BenchmarkIngestPeakRSS uploads a generated 4 GiB body through Ingest into a block store on
// disk in a fresh child process and reports the child's peak RSS (VmHWM; target < 150 MiB)
// and its upload rate. The blocks are deleted afterwards.
//
//	go test ./http/files -run '^$' -bench IngestPeakRSS -benchtime 1x
func BenchmarkIngestPeakRSS(b *testing.B) {
	for b.Loop() {
		dir := b.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run", "^TestIngestRSSChild$", "-test.v")
		cmd.Env = append(os.Environ(), rssChildEnv+"="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		var hwm, rate float64
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "RESULT "); ok {
				f := strings.Fields(v)
				hwm, _ = strconv.ParseFloat(f[0], 64)
				rate, _ = strconv.ParseFloat(f[1], 64)
			}
		}
		if hwm == 0 {
			b.Fatalf("child printed no result:\n%s", out)
		}
		b.ReportMetric(hwm, "peak-rss-MiB")
		b.ReportMetric(rate, "upload-GB/s")
		fmt.Printf("4 GiB upload through Ingest to disk: peak RSS %.1f MiB, %.2f GB/s\n", hwm, rate)
	}
	b.ReportMetric(0, "ns/op")
}

// TestIngestRSSChild is BenchmarkIngestPeakRSS's child; it does nothing unless started by it.
func TestIngestRSSChild(t *testing.T) {
	dir := os.Getenv(rssChildEnv)
	if dir == "" {
		t.Skip("run by BenchmarkIngestPeakRSS")
	}
	store, err := blockstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	const size = 4 << 30
	t0 := time.Now()
	up, err := Ingest(context.Background(), &gen{seed: 9, size: size}, IngestConfig{Key: testKey, Store: store, Pins: blockgc.NewPins(), Limit: MaxUploadSize})
	if err != nil {
		t.Fatal(err)
	}
	rate := size / time.Since(t0).Seconds() / 1e9
	if err := CheckBlocks(store, up.Manifest); err != nil {
		t.Fatal(err)
	}
	up.Done()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			fmt.Printf("RESULT %.1f %.3f\n", kb/1024, rate)
		}
	}
}
