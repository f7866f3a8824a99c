package files

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/meshhold/meshhold/persist/blockstore"
)

// BenchmarkDownloadVsServeFile stores a generated 1 GiB file both as plaintext and as vault
// blocks on disk, serves them over a real loopback HTTP server and, in the same run, fetches:
// the plaintext through http.ServeFile (the anchor), the version through Serve as a download
// and as a stream (Range: bytes=0-), and the plaintext from nginx when it can be started
// (apt-get install -y nginx). It reports the median rate of three rounds, the ratios to
// ServeFile (target ≥ 0.7×) and the median time to first byte of the whole file and of a
// 64 KiB range in the middle (target ≤ 5 ms).
//
//	go test ./http/files -run '^$' -bench DownloadVsServeFile -benchtime 1x
func BenchmarkDownloadVsServeFile(b *testing.B) {
	const size = 1 << 30
	dir := b.TempDir()
	plain := filepath.Join(dir, "plain", "file.bin")
	os.MkdirAll(filepath.Dir(plain), 0o700)
	f, err := os.Create(plain)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(f, &gen{seed: 77, size: size}); err != nil {
		b.Fatal(err)
	}
	f.Close()
	store, err := blockstore.Open(filepath.Join(dir, "blocks"))
	if err != nil {
		b.Fatal(err)
	}
	m := ingest(b, store, &gen{seed: 77, size: size})

	mux := http.NewServeMux()
	mux.HandleFunc("/plain/file.bin", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, plain) })
	serve := func(download bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			rd, err := NewReader(r.Context(), store, m)
			if err != nil {
				b.Error(err)
				return
			}
			defer rd.Close()
			f := File{Name: "file.bin", ContentType: "application/octet-stream", ETag: ETag(m.ContentHash), Download: download}
			if err := Serve(w, r, f, rd); err != nil {
				b.Error(err)
			}
		}
	}
	mux.HandleFunc("/download/file.bin", serve(true))
	mux.HandleFunc("/stream/file.bin", serve(false))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	targets := []struct{ name, url, rng string }{
		{"servefile", srv.URL + "/plain/file.bin", ""},
		{"download", srv.URL + "/download/file.bin", ""},
		{"stream", srv.URL + "/stream/file.bin", "bytes=0-"},
	}
	if url, stop, err := startNginx(filepath.Dir(plain)); err != nil {
		b.Logf("nginx case skipped: %v", err)
		fmt.Printf("download bench: nginx case skipped: %v\n", err)
	} else {
		defer stop()
		targets = append(targets, struct{ name, url, rng string }{"nginx", url + "/file.bin", ""})
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 8}}
	for b.Loop() {
		rates := map[string][]float64{}
		ttfb := map[string][]float64{}
		mid := map[string][]float64{}
		for range 3 {
			for _, t := range targets {
				rate, first := fetch(b, client, t.url, t.rng, size)
				rates[t.name] = append(rates[t.name], rate)
				ttfb[t.name] = append(ttfb[t.name], first)
			}
		}
		for range 15 {
			for _, t := range targets {
				off := int64(size/2 + 1234567)
				_, first := fetch(b, client, t.url, "bytes="+strconv.FormatInt(off, 10)+"-"+strconv.FormatInt(off+64<<10-1, 10), 64<<10)
				mid[t.name] = append(mid[t.name], first)
			}
		}
		anchor := median(rates["servefile"])
		for _, t := range targets {
			r := median(rates[t.name])
			b.ReportMetric(r, t.name+"-GB/s")
			b.ReportMetric(median(ttfb[t.name]), t.name+"-ttfb-ms")
			b.ReportMetric(median(mid[t.name]), t.name+"-range-ttfb-ms")
			if t.name != "servefile" {
				b.ReportMetric(r/anchor, t.name+"-x-servefile")
			}
			fmt.Printf("%-9s %.2f GB/s (%.2f× ServeFile), first byte %.2f ms, mid-file 64 KiB range first byte %.2f ms\n",
				t.name, r, r/anchor, median(ttfb[t.name]), median(mid[t.name]))
		}
	}
	b.ReportMetric(0, "ns/op")
}

// fetch GETs url and returns the rate in GB/s and the time to the first body byte in ms.
func fetch(b *testing.B, c *http.Client, url, rng string, want int64) (gbps, ttfbMs float64) {
	req, _ := http.NewRequestWithContext(context.Background(), "GET", url, nil)
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	t0 := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 1<<20)
	var got int64
	var first time.Duration
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 && got == 0 {
			first = time.Since(t0)
		}
		got += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatalf("%s: %v", url, err)
		}
	}
	if got != want || resp.StatusCode/100 != 2 {
		b.Fatalf("%s: status %d, %d bytes, want %d", url, resp.StatusCode, got, want)
	}
	return float64(got) / time.Since(t0).Seconds() / 1e9, float64(first.Microseconds()) / 1000
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// startNginx serves root from a throw-away nginx on a free loopback port (one process,
// sendfile on) and returns its base URL and a stop function.
func startNginx(root string) (string, func(), error) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nginx"); serr != nil {
			return "", nil, fmt.Errorf("nginx is not installed (apt-get install -y nginx)")
		}
		bin = "/usr/sbin/nginx"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	tmp, err := os.MkdirTemp("", "meshhold-nginx-")
	if err != nil {
		return "", nil, err
	}
	conf := fmt.Sprintf(`daemon off; master_process off; pid %[1]s/nginx.pid; error_log %[1]s/error.log;
events { worker_connections 64; }
http {
  access_log off; sendfile on; tcp_nopush on; default_type application/octet-stream;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fcgi;
  uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
  server { listen %[2]s; root %[3]s; }
}
`, tmp, addr, root)
	if err := os.WriteFile(filepath.Join(tmp, "nginx.conf"), []byte(conf), 0o600); err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, "-p", tmp, "-c", filepath.Join(tmp, "nginx.conf"))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		cmd.Process.Kill()
		cmd.Wait()
		os.RemoveAll(tmp)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr, stop, nil
		}
	}
	stop()
	return "", nil, fmt.Errorf("nginx did not start listening on %s", addr)
}
