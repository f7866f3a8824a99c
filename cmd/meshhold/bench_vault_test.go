package main

import (
	"crypto/aes"
	"crypto/cipher"
	binenc "encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/meshhold/meshhold/messages"
)

// The vault benchmarks start the real binary on a temporary folder and measure it through the
// API; each anchor runs in the same benchmark on the same disk (the same temporary folder).
// They are slow: run them once (-benchtime 1x). docs/benchmarks.md, "Vaults".

// benchVault prepares a fresh folder (password, one vault, an API token) and restarts the
// daemon on it, so that the process measured has not run argon2id (64 MiB a derivation,
// which the Go runtime keeps resident for minutes); tok is the API token.
func benchVault(b *testing.B) (p *proc, tok, id, dir string) {
	b.Helper()
	dir = b.TempDir()
	cfg := benchConfig(b, dir)
	p = start(b, cfg, "--log-level", "error")
	p.setPassword("benchmark password")
	session := p.login("benchmark password")
	resp, v := p.send("POST", "/vaults", map[string]any{"name": "bench"}, bearer(session)...)
	if resp.StatusCode != 201 {
		b.Fatalf("create vault: %d %v", resp.StatusCode, v)
	}
	resp, t := p.send("POST", "/auth/tokens", map[string]any{"name": "bench"}, bearer(session)...)
	if resp.StatusCode != 201 {
		b.Fatalf("create token: %d %v", resp.StatusCode, t)
	}
	p.stop()
	return start(b, cfg, "--log-level", "error"), t["token"].(string), v["id"].(string), dir
}

// benchClient keeps up to n connections to the daemon open.
func benchClient(n int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n,
		WriteBufferSize: 256 << 10, ReadBufferSize: 64 << 10}}
}

// uploadBody POSTs body (length bytes) to path in vault id; anything but a 201 is an error.
func uploadBody(c *http.Client, p *proc, tok, id, path string, body io.Reader, length int64) error {
	req, _ := http.NewRequest("POST", p.api+"/vaults/"+id+"/upload"+path, body)
	req.ContentLength = length
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("upload %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var info messages.FileInfo
	if resp.StatusCode != 201 || json.Unmarshal(raw, &info) != nil || info.Size != length {
		return fmt.Errorf("upload %s: %d %s", path, resp.StatusCode, raw)
	}
	return nil
}

// uploadAll uploads files 0…n-1 from the given number of concurrent clients; the first error
// stops them.
func uploadAll(b *testing.B, c *http.Client, clients, n int, upload func(i int, buf []byte) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 4<<10)
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := upload(i, buf); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
}

// genStream is size bytes of AES-CTR keystream (seed the key): incompressible, never repeating
// (so convergent encryption finds no duplicate block), several GB/s, never held in memory.
type genStream struct {
	ctr  cipher.Stream
	left int64
}

var genZeros = make([]byte, 1<<20)

func newGenStream(seed uint64, size int64) *genStream {
	var key [16]byte
	binenc.LittleEndian.PutUint64(key[:], seed)
	blk, _ := aes.NewCipher(key[:])
	return &genStream{ctr: cipher.NewCTR(blk, make([]byte, 16)), left: size}
}

func (g *genStream) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), g.left, int64(len(genZeros))))
	g.ctr.XORKeyStream(p[:n], genZeros[:n])
	g.left -= int64(n)
	return n, nil
}

// smallFile is file i of the small-files benchmark: 4 KiB of keystream with i as the nonce.
func smallFile(blk cipher.Block, i int, dst []byte) []byte {
	var iv [16]byte
	binenc.BigEndian.PutUint64(iv[:8], uint64(i))
	cipher.NewCTR(blk, iv[:]).XORKeyStream(dst, genZeros[:len(dst)])
	return dst
}

// benchSyncfs makes everything written on dir's file system durable (so that one measurement does
// not pay for the previous one's dirty pages).
func benchSyncfs(b *testing.B, dir string) {
	f, err := os.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		b.Fatal(err)
	}
}

// procMiB reads a kB field of /proc/<pid>/status (VmRSS, VmHWM) in MiB.
func procMiB(b *testing.B, pid int, field string) float64 {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// resetPeak resets pid's VmHWM to its current RSS (clear_refs 5, Linux ≥ 4.0), so that a later
// VmHWM covers only what ran since — not the argon2id of the login (64 MiB per derivation).
func resetPeak(b *testing.B, pid int) {
	if err := os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0); err != nil {
		b.Fatalf("reset the peak RSS: %v", err)
	}
}

// sampleRSS reads pid's VmRSS every 20 ms until stop is closed and returns the largest.
func sampleRSS(b *testing.B, pid int, stop <-chan struct{}) <-chan float64 {
	out := make(chan float64, 1)
	go func() {
		peak := 0.0
		for {
			select {
			case <-stop:
				out <- peak
				return
			case <-time.After(20 * time.Millisecond):
			}
			if status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status"); err == nil {
				for _, l := range strings.Split(string(status), "\n") {
					if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
						kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
						peak = max(peak, kb/1024)
					}
				}
			}
		}
	}()
	return out
}

// writeFsync writes size generated bytes to path in 1 MiB writes and fsyncs once at the end.
func writeFsync(b *testing.B, path string, seed uint64, size int64) time.Duration {
	begin := time.Now()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(struct{ io.Writer }{f}, newGenStream(seed, size), buf); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return time.Since(begin)
}

// cpuSeconds is the user+system CPU time of pid (from /proc/<pid>/stat, in clock ticks of
// 1/100 s).
func cpuSeconds(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100
}

// commitTotals scrapes the daemon's /metrics: group commits so far and their summed seconds.
func commitTotals(b *testing.B, p *proc, tok string) (commits, seconds float64) {
	req, _ := http.NewRequest("GET", strings.TrimSuffix(p.api, "/api/v1")+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(raw), "\n") {
		name, val, _ := strings.Cut(l, " ")
		v, _ := strconv.ParseFloat(strings.TrimSpace(val), 64)
		switch name {
		case "meshhold_commits_total":
			commits = v
		case "meshhold_commit_seconds_sum":
			seconds = v
		}
	}
	return commits, seconds
}

func benchMBps(size int64, d time.Duration) float64 { return float64(size) / d.Seconds() / 1e6 }

// BenchmarkUpload1GiB streams a generated 1 GiB body to POST …/upload (chunking, convergent
// encryption, block files, one syncfs and the commit) and, in the same run on the same disk,
// writes the same bytes to a file with one fsync at the end, before and after the upload; the
// ratio is against the mean of the two (target ≥ 0.6×). Also the daemon's peak RSS (VmHWM).
func BenchmarkUpload1GiB(b *testing.B) {
	const size = 1 << 30
	p, tok, id, dir := benchVault(b)
	defer p.stop()
	anchor := filepath.Join(dir, "anchor.bin")
	var anchors []time.Duration
	runAnchor := func(seed uint64) {
		benchSyncfs(b, dir)
		anchors = append(anchors, writeFsync(b, anchor, seed, size))
		if err := os.Remove(anchor); err != nil {
			b.Fatal(err)
		}
	}
	runAnchor(1)
	c := benchClient(1)
	benchSyncfs(b, dir)
	pid := p.cmd.Process.Pid
	resetPeak(b, pid)
	cpu0, self0 := cpuSeconds(b, pid), cpuSeconds(b, os.Getpid())
	begin := time.Now()
	if err := uploadBody(c, p, tok, id, "/big.bin", newGenStream(2, size), size); err != nil {
		b.Fatal(err)
	}
	api := time.Since(begin)
	daemonCPU, clientCPU := cpuSeconds(b, pid)-cpu0, cpuSeconds(b, os.Getpid())-self0
	hwm := procMiB(b, pid, "VmHWM")
	runAnchor(3)
	fsyncMBps := (benchMBps(size, anchors[0]) + benchMBps(size, anchors[1])) / 2
	fmt.Printf("1 GiB: upload %.0f MB/s, write+fsync %.0f and %.0f MB/s; daemon peak RSS during the upload %.1f MiB; daemon CPU %.0f %% of one core (%.2f ns/byte), client %.0f %%\n",
		benchMBps(size, api), benchMBps(size, anchors[0]), benchMBps(size, anchors[1]), hwm, 100*daemonCPU/api.Seconds(), 1e9*daemonCPU/size, 100*clientCPU/api.Seconds())
	b.ReportMetric(benchMBps(size, api), "upload-MB/s")
	b.ReportMetric(fsyncMBps, "write-fsync-MB/s")
	b.ReportMetric(benchMBps(size, api)/fsyncMBps, "x-write-fsync")
	b.ReportMetric(hwm, "peak-RSS-MiB")
	b.ReportMetric(1e9*daemonCPU/size, "daemon-CPU-ns/byte")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkUpload4GiBPeakRSS streams a generated 4 GiB body to POST …/upload and reports the
// daemon's peak RSS (VmHWM; target < 150 MiB), its RSS when idle before, and the upload rate.
func BenchmarkUpload4GiBPeakRSS(b *testing.B) {
	const size = 4 << 30
	p, tok, id, dir := benchVault(b)
	defer p.stop()
	pid := p.cmd.Process.Pid
	benchSyncfs(b, dir)
	idle := procMiB(b, pid, "VmRSS")
	resetPeak(b, pid)
	stop := make(chan struct{})
	sampled := sampleRSS(b, pid, stop)
	begin := time.Now()
	if err := uploadBody(benchClient(1), p, tok, id, "/huge.bin", newGenStream(4, size), size); err != nil {
		b.Fatal(err)
	}
	d := time.Since(begin)
	hwm := procMiB(b, pid, "VmHWM")
	close(stop)
	sampledMax := <-sampled
	// For comparison: one login (argon2id) in the same process, RSS 2 s later.
	p.login("benchmark password")
	time.Sleep(2 * time.Second)
	afterLogin := procMiB(b, pid, "VmRSS")
	fmt.Printf("4 GiB: upload %.0f MB/s; daemon peak RSS during the upload %.1f MiB (VmHWM; sampled VmRSS max %.1f MiB), RSS %.1f MiB before it; RSS 2 s after one login %.1f MiB\n",
		benchMBps(size, d), hwm, sampledMax, idle, afterLogin)
	b.ReportMetric(benchMBps(size, d), "upload-MB/s")
	b.ReportMetric(idle, "before-RSS-MiB")
	b.ReportMetric(hwm, "peak-RSS-MiB")
	b.ReportMetric(afterLogin, "after-login-RSS-MiB")
	b.ReportMetric(0, "ns/op")
}

// benchFiles is how many 4 KiB files BenchmarkSmallFiles writes (MESHHOLD_BENCH_FILES).
func benchFiles(b *testing.B) int {
	n := 100_000
	if s := os.Getenv("MESHHOLD_BENCH_FILES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 64 {
			b.Fatalf("MESHHOLD_BENCH_FILES=%q: want a number ≥ 64", s)
		}
		n = v
	}
	return n
}

// BenchmarkSmallFiles uploads N 4 KiB files (MESHHOLD_BENCH_FILES, default 100,000) into one
// vault from 64 concurrent clients, every 201 meaning the file is durable, and reports files/s.
// Anchors in the same run on the same disk: one Go loop writing the same N files as new files
// in one folder with one syncfs(2) per 64 (target ≥ 0.5× of it), and the naive loop with one
// fdatasync per file.
func BenchmarkSmallFiles(b *testing.B) {
	const clients, size = 64, 4 << 10
	n := benchFiles(b)
	p, tok, id, dir := benchVault(b)
	defer p.stop()
	var key [16]byte
	binenc.LittleEndian.PutUint64(key[:], uint64(time.Now().UnixNano()))
	blk, _ := aes.NewCipher(key[:])

	// Anchor: new files, one syncfs per 64.
	raw := filepath.Join(dir, "raw-syncfs")
	if err := os.Mkdir(raw, 0o700); err != nil {
		b.Fatal(err)
	}
	benchSyncfs(b, dir)
	begin := time.Now()
	buf := make([]byte, size)
	root, err := os.Open(raw)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if err := os.WriteFile(filepath.Join(raw, fmt.Sprintf("f%06d", i)), smallFile(blk, i, buf), 0o600); err != nil {
			b.Fatal(err)
		}
		if i%64 == 63 || i == n-1 {
			if err := unix.Syncfs(int(root.Fd())); err != nil {
				b.Fatal(err)
			}
		}
	}
	syncfsRate := float64(n) / time.Since(begin).Seconds()
	root.Close()

	// Through the API: 64 clients.
	benchSyncfs(b, dir)
	c := benchClient(clients)
	cpu0, self0 := cpuSeconds(b, p.cmd.Process.Pid), cpuSeconds(b, os.Getpid())
	commits0, commitSecs0 := commitTotals(b, p, tok)
	begin = time.Now()
	lat := make([]time.Duration, n)
	uploadAll(b, c, clients, n, func(i int, buf []byte) error {
		t0 := time.Now()
		err := uploadBody(c, p, tok, id, fmt.Sprintf("/small/f%06d", i), plainReader(smallFile(blk, i, buf)), size)
		lat[i] = time.Since(t0)
		return err
	})
	apiWall := time.Since(begin).Seconds()
	apiRate := float64(n) / apiWall
	daemonCPU, clientCPU := cpuSeconds(b, p.cmd.Process.Pid)-cpu0, cpuSeconds(b, os.Getpid())-self0
	commits, commitSecs := commitTotals(b, p, tok)
	commits, commitSecs = commits-commits0, commitSecs-commitSecs0

	// Anchor: new files, one fdatasync each.
	naive := filepath.Join(dir, "raw-fdatasync")
	if err := os.Mkdir(naive, 0o700); err != nil {
		b.Fatal(err)
	}
	benchSyncfs(b, dir)
	begin = time.Now()
	for i := range n {
		f, err := os.OpenFile(filepath.Join(naive, fmt.Sprintf("f%06d", i)), os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Write(smallFile(blk, i, buf)); err != nil {
			b.Fatal(err)
		}
		if err := unix.Fdatasync(int(f.Fd())); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	naiveRate := float64(n) / time.Since(begin).Seconds()

	fmt.Printf("%d files of 4 KiB: API (64 clients) %.0f files/s, Go loop + syncfs per 64 %.0f files/s, Go loop + fdatasync each %.0f files/s\n",
		n, apiRate, syncfsRate, naiveRate)
	fmt.Printf("  during the upload: daemon CPU %.0f %% of one core (%.0f µs a file), client CPU %.0f %%; %.0f group commits, %.1f files each, %.1f ms each (%.0f %% of the time committing); upload p50 %.1f ms, p99 %.1f ms\n",
		100*daemonCPU/apiWall, 1e6*daemonCPU/float64(n), 100*clientCPU/apiWall, commits, float64(n)/commits, 1000*commitSecs/commits, 100*commitSecs/apiWall,
		percentileMs(lat, 0.5), percentileMs(lat, 0.99))
	b.ReportMetric(apiRate, "api-files/s")
	b.ReportMetric(syncfsRate, "syncfs64-files/s")
	b.ReportMetric(naiveRate, "fdatasync-files/s")
	b.ReportMetric(apiRate/syncfsRate, "x-syncfs64")
	b.ReportMetric(apiRate/naiveRate, "x-fdatasync")
	b.ReportMetric(1e6*daemonCPU/float64(n), "daemon-CPU-µs/file")
	b.ReportMetric(float64(n)/commits, "files/commit")
	b.ReportMetric(0, "ns/op")
}

// percentileMs is the q quantile of l in milliseconds.
func percentileMs(l []time.Duration, q float64) float64 {
	s := slices.Clone(l)
	slices.Sort(s)
	return float64(s[int(q*float64(len(s)-1))].Microseconds()) / 1000
}

func plainReader(b []byte) io.Reader { return &sliceReader{b: b} }

// sliceReader is bytes.Reader without WriterTo/Seek: the transport sends it as a plain body.
type sliceReader struct{ b []byte }

func (r *sliceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// BenchmarkListFolder fills a folder of a vault with 1,000 files (and another folder with
// 1,000 more), then GETs …/files?path=/folder&limit=1000 1,000 times from one client and
// reports p50/p99 (target p99 < 20 ms). Anchor in the same run: a bare net/http handler in the
// test process serving the same JSON bytes over loopback.
func BenchmarkListFolder(b *testing.B) {
	const files, gets = 1000, 1000
	p, tok, id, _ := benchVault(b)
	defer p.stop()
	c := benchClient(16)
	uploadAll(b, c, 16, 2*files, func(i int, _ []byte) error {
		folder := "/folder"
		if i >= files {
			folder = "/other"
		}
		body := []byte(fmt.Sprintf("file %d of the listing benchmark\n", i))
		return uploadBody(c, p, tok, id, fmt.Sprintf("%s/file-%04d.txt", folder, i%files), plainReader(body), int64(len(body)))
	})
	url := p.api + "/vaults/" + id + "/files?path=/folder&limit=1000"
	var page []byte
	get := func(url, tok string) time.Duration {
		req, _ := http.NewRequest("GET", url, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		begin := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(begin)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
		}
		if page == nil {
			page = body
		}
		return d
	}
	get(url, tok)
	var list messages.FileList
	if err := json.Unmarshal(page, &list); err != nil || len(list.Files) != files || list.NextCursor != "" {
		b.Fatalf("the listing holds %d files (cursor %q, %v), want %d", len(list.Files), list.NextCursor, err, files)
	}
	lat := make([]time.Duration, gets)
	for i := range lat {
		lat[i] = get(url, tok)
	}
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(page)
	}))
	defer bare.Close()
	bareLat := make([]time.Duration, gets)
	for i := range bareLat {
		bareLat[i] = get(bare.URL, "")
	}
	fmt.Printf("list 1,000 files (%d KB of JSON): p50 %.2f ms, p99 %.2f ms, max %.2f ms; bare handler p50 %.2f ms, p99 %.2f ms\n",
		len(page)/1000, percentileMs(lat, 0.5), percentileMs(lat, 0.99), percentileMs(lat, 1), percentileMs(bareLat, 0.5), percentileMs(bareLat, 0.99))
	b.ReportMetric(percentileMs(lat, 0.5), "p50-ms")
	b.ReportMetric(percentileMs(lat, 0.99), "p99-ms")
	b.ReportMetric(percentileMs(bareLat, 0.99), "bare-p99-ms")
	b.ReportMetric(percentileMs(lat, 0.99)/percentileMs(bareLat, 0.99), "x-bare-p99")
	b.ReportMetric(0, "ns/op")
}

// inProcessVault runs the daemon inside the test process (for -cpuprofile) with one vault.
func inProcessVault(b *testing.B) (p *proc, tok, id string) {
	dir := b.TempDir()
	cfg, err := parseConfig(benchConfig(b, dir), []byte("node:\n  listen_addrs: []\napi:\n  bind: 127.0.0.1:0\n"))
	if err != nil {
		b.Fatal(err)
	}
	d := &daemon{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)), out: io.Discard, started: time.Now()}
	if err := d.start(); err != nil {
		b.Fatal(err)
	}
	go d.srv.Serve(d.ln)
	b.Cleanup(func() { d.shutdown() })
	p = &proc{t: b, api: d.apiURL(), dir: dir}
	p.setPassword("benchmark password")
	tok = p.login("benchmark password")
	resp, v := p.send("POST", "/vaults", map[string]any{"name": "bench"}, bearer(tok)...)
	if resp.StatusCode != 201 {
		b.Fatalf("create vault: %d %v", resp.StatusCode, v)
	}
	return p, tok, v["id"].(string)
}

// BenchmarkUploadInProcess uploads a generated 256 MiB body per iteration to a daemon running
// inside the test process: the daemon's own cost per byte, for -cpuprofile.
//
//	go test -run '^$' -bench UploadInProcess -benchtime 4x -cpuprofile cpu.out ./cmd/meshhold
func BenchmarkUploadInProcess(b *testing.B) {
	const size = 256 << 20
	p, tok, id := inProcessVault(b)
	c := benchClient(1)
	b.SetBytes(size)
	b.ResetTimer()
	for i := range b.N {
		if err := uploadBody(c, p, tok, id, fmt.Sprintf("/f%d", i), newGenStream(uint64(i)+10, size), size); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSmallFilesInProcess uploads 4 KiB files from 64 clients to a daemon running inside
// the test process, for -cpuprofile.
//
//	go test -run '^$' -bench SmallFilesInProcess -benchtime 20000x -cpuprofile cpu.out ./cmd/meshhold
func BenchmarkSmallFilesInProcess(b *testing.B) {
	p, tok, id := inProcessVault(b)
	c := benchClient(64)
	blk, _ := aes.NewCipher(make([]byte, 16))
	b.ResetTimer()
	uploadAll(b, c, 64, b.N, func(i int, buf []byte) error {
		return uploadBody(c, p, tok, id, fmt.Sprintf("/small/f%06d", i), plainReader(smallFile(blk, i, buf)), int64(len(buf)))
	})
}
