package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The mesh benchmarks start real daemons (the built binary) on loopback, in one private
// network (a swarm key from `meshhold keygen`), every port chosen by the OS. docs/benchmarks.md,
// "Mesh".

// bmClient talks to the daemons while they start and join: errors are returned, not fatal.
var bmClient = &http.Client{Timeout: 30 * time.Second}

// bmSwarmKey is a fresh 3-line PSK.
func bmSwarmKey(b *testing.B) string {
	b.Helper()
	key, err := exec.Command(binary, "keygen").Output()
	if err != nil {
		b.Fatalf("meshhold keygen: %v", err)
	}
	return string(key)
}

// bmConfig writes dir/config.yaml: API and mesh on loopback with OS-chosen ports; with a key,
// the mesh runs on it and dials bootstrap.
func bmConfig(b *testing.B, dir, name, key string, bootstrap []string) string {
	b.Helper()
	var src strings.Builder
	fmt.Fprintf(&src, "node:\n  name: %s\n  listen_addrs: [/ip4/127.0.0.1/tcp/0]\napi:\n  bind: 127.0.0.1:0\n", name)
	if key != "" {
		src.WriteString("swarm_key: |\n")
		for _, l := range strings.Split(strings.TrimSpace(key), "\n") {
			src.WriteString("  " + l + "\n")
		}
		src.WriteString("bootstrap_peers:\n")
		for _, a := range bootstrap {
			src.WriteString("  - " + strconv.Quote(a) + "\n")
		}
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(src.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// bmGet GETs path from p's API (with a bearer when tok is set) and decodes the JSON answer.
func bmGet(p *proc, path, tok string) (int, map[string]any, error) {
	p.mu.Lock()
	api := p.api
	p.mu.Unlock()
	if api == "" {
		return 0, nil, fmt.Errorf("the API is not up yet")
	}
	req, err := http.NewRequest("GET", api+path, nil)
	if err != nil {
		return 0, nil, err
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := bmClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("GET %s: %d %q", path, resp.StatusCode, raw)
	}
	return resp.StatusCode, m, nil
}

// bmMeshAddrs waits until p's mesh runs and returns its peer id and dialable addresses.
func bmMeshAddrs(b *testing.B, p *proc) (peer string, addrs []string) {
	b.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if code, st, err := bmGet(p, "/system/status", ""); err == nil && code == 200 {
			nw, _ := st["network"].(map[string]any)
			list, _ := st["listen_addrs"].([]any)
			if nw["state"] == "connected" && len(list) > 0 {
				for _, a := range list {
					addrs = append(addrs, a.(string))
				}
				return st["peer_id"].(string), addrs
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatalf("the mesh did not start within 20 s:\n%s", p.output())
	return "", nil
}

// bmOnline counts the nodes p's GET /nodes lists online (itself included) and those it has a
// direct connection to.
func bmOnline(p *proc, tok string) (online, connected int, err error) {
	code, body, err := bmGet(p, "/nodes", tok)
	if err != nil {
		return 0, 0, err
	}
	if code != 200 {
		return 0, 0, fmt.Errorf("GET /nodes: %d %v", code, body)
	}
	list, _ := body["nodes"].([]any)
	for _, v := range list {
		node, _ := v.(map[string]any)
		if node["online"] == true {
			online++
		}
		if node["connected"] == true {
			connected++
		}
	}
	return online, connected, nil
}

// bmWaitOnline polls p's GET /nodes every 20 ms until want nodes are online; it returns how
// long that took and how long until the first other node was online, or fails after limit.
func bmWaitOnline(b *testing.B, p *proc, tok string, want int, limit time.Duration) (all, firstPeer time.Duration) {
	b.Helper()
	begin := time.Now()
	last, lastErr := 0, error(nil)
	for time.Since(begin) < limit {
		n, _, err := bmOnline(p, tok)
		if err == nil && n >= 2 && firstPeer == 0 {
			firstPeer = time.Since(begin)
		}
		if err == nil && n >= want {
			return time.Since(begin), firstPeer
		}
		last, lastErr = n, err
		time.Sleep(20 * time.Millisecond)
	}
	b.Fatalf("%d of %d nodes online after %s (last error %v):\n%s", last, want, limit, lastErr, p.output())
	return 0, 0
}

// bmMedian is the median of xs (xs is sorted in place).
func bmMedian(xs []float64) float64 {
	slices.Sort(xs)
	if len(xs) == 0 {
		return 0
	}
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

// bmFreePort is a TCP port on 127.0.0.1 that the OS just handed out.
func bmFreePort(b *testing.B) int {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// bmIperf3 runs `iperf3 -s -1` (--forceflush: it says when it listens) and `iperf3 -c 127.0.0.1 -t secs -J` on a free loopback port and
// returns what the server received, in MB/s.
func bmIperf3(b *testing.B, secs int) float64 {
	b.Helper()
	port := strconv.Itoa(bmFreePort(b))
	srv := exec.Command("iperf3", "-s", "-1", "-p", port, "--forceflush")
	out, _ := srv.StdoutPipe()
	srv.Stderr = srv.Stdout
	if err := srv.Start(); err != nil {
		b.Fatalf("iperf3 -s: %v", err)
	}
	defer func() {
		_ = srv.Process.Kill()
		_ = srv.Wait()
	}()
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for seen := false; sc.Scan(); {
			if !seen && strings.Contains(sc.Text(), "Server listening") {
				seen = true
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		b.Fatal("iperf3 -s did not start listening within 10 s")
	}
	raw, err := exec.Command("iperf3", "-c", "127.0.0.1", "-p", port, "-t", strconv.Itoa(secs), "-J").Output()
	if err != nil {
		b.Fatalf("iperf3 -c: %v\n%s", err, raw)
	}
	var res struct {
		End struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(raw, &res); err != nil || res.Error != "" || res.End.SumReceived.BitsPerSecond == 0 {
		b.Fatalf("cannot read iperf3's result (%v):\n%s", err, raw)
	}
	return res.End.SumReceived.BitsPerSecond / 8 / 1e6
}

// bmCPUSeconds is the user+system CPU time of p's process so far (/proc/<pid>/stat, in clock
// ticks of 1/100 s).
func bmCPUSeconds(b *testing.B, p *proc) float64 {
	b.Helper()
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100
}

// bmNode is one daemon of a benchmark mesh.
type bmNode struct {
	p     *proc
	peer  string
	addrs []string
}

// bmStartNode starts a daemon on a fresh folder in the network of key, bootstrapping from
// bootstrap, and waits until its mesh runs.
func bmStartNode(b *testing.B, name, key string, bootstrap []string) *bmNode {
	b.Helper()
	p := start(b, bmConfig(b, b.TempDir(), name, key, bootstrap), "--log-level", "error")
	n := &bmNode{p: p}
	n.peer, n.addrs = bmMeshAddrs(b, p)
	return n
}

// BenchmarkSpeedtestVsIperf3 runs the daemon's speed test (POST /network/speedtest/{peer}: 64
// MiB or 10 s over one mesh connection: TCP, the swarm key's XSalsa20, Noise, yamux) between two
// daemons on loopback, three times per iteration, and in the same iteration iperf3 over plain
// loopback TCP (one stream, 5 s); it reports the medians in MB/s and their ratio. Needs iperf3
// (make bench installs it).
func BenchmarkSpeedtestVsIperf3(b *testing.B) {
	if testing.Short() {
		b.Skip("starts two daemons and iperf3: not under -short")
	}
	if _, err := exec.LookPath("iperf3"); err != nil {
		b.Skip("iperf3 is not installed (apt-get install -y iperf3; make bench installs it): the speed test has no anchor")
	}
	key := bmSwarmKey(b)
	a := bmStartNode(b, "a", key, nil)
	c := bmStartNode(b, "b", key, a.addrs)
	defer a.p.kill()
	defer c.p.kill()
	a.p.setPassword("benchmark password")
	tok := a.p.login("benchmark password")
	// Connected: a lists b online (the hello exchange ran over the connection).
	bmWaitOnline(b, a.p, tok, 2, 30*time.Second)

	var mesh, rtt, anchor []float64
	var sent, sendCPU, recvCPU float64
	for b.Loop() {
		sendBefore, recvBefore := bmCPUSeconds(b, a.p), bmCPUSeconds(b, c.p)
		for range 3 {
			resp, r := a.p.call("POST", "/network/speedtest/"+c.peer, nil, bearer(tok)...)
			if resp.StatusCode != 200 || r["error"] != nil {
				b.Fatalf("speed test: %d %v", resp.StatusCode, r)
			}
			bytes, secs := r["bytes"].(float64), r["seconds"].(float64)
			mesh = append(mesh, bytes/secs/1e6)
			sent += bytes
			rtt = append(rtt, r["rtt_ms"].(float64))
			fmt.Printf("speedtest: %.0f MiB in %.3f s = %.0f MB/s (%.0f Mbit/s), rtt %.3f ms\n", bytes/(1<<20), secs, bytes/secs/1e6, r["mbps"].(float64), r["rtt_ms"].(float64))
		}
		sendCPU += bmCPUSeconds(b, a.p) - sendBefore
		recvCPU += bmCPUSeconds(b, c.p) - recvBefore
		anchor = append(anchor, bmIperf3(b, 5))
		fmt.Printf("iperf3 -t 5: %.0f MB/s\n", anchor[len(anchor)-1])
	}
	m, i := bmMedian(mesh), bmMedian(anchor)
	b.ReportMetric(m, "speedtest-MB/s")
	b.ReportMetric(i, "iperf3-MB/s")
	b.ReportMetric(m/i, "x-iperf3")
	b.ReportMetric(bmMedian(rtt), "rtt-ms")
	b.ReportMetric(sendCPU*1e9/sent, "sender-CPU-ns/B")
	b.ReportMetric(recvCPU*1e9/sent, "receiver-CPU-ns/B")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkJoinTenNodeMesh forms a mesh of ten daemons (node 0 first, nodes 1–9 bootstrapping
// from it, until node 0 lists all ten online), then measures an eleventh daemon bootstrapping
// from node 0: from exec until its GET /nodes lists all eleven online (polled every 20 ms;
// target < 2 s on loopback), and the part of it until its API answers (process start). Every
// iteration starts a fresh mesh and kills it afterwards.
//
// The eleventh node's folder is prepared beforehand (first start without a network: password,
// an API token; then stopped), so that the measured process runs no argon2id login and starts
// on an existing folder that has never been in a mesh.
func BenchmarkJoinTenNodeMesh(b *testing.B) {
	if testing.Short() {
		b.Skip("starts eleven daemons: not under -short")
	}
	var joins, readies, firsts []float64
	for b.Loop() {
		b.StopTimer()
		key := bmSwarmKey(b)
		var mesh []*bmNode
		first := bmStartNode(b, "n0", key, nil)
		mesh = append(mesh, first)
		launched := time.Now()
		for i := 1; i < 10; i++ {
			p := launch(b, bmConfig(b, b.TempDir(), "n"+strconv.Itoa(i), key, first.addrs), "--log-level", "error")
			mesh = append(mesh, &bmNode{p: p})
		}
		for _, n := range mesh[1:] {
			bmWaitAPI(b, n.p, launched)
		}
		first.p.setPassword("benchmark password")
		tok := first.p.login("benchmark password")
		bmWaitOnline(b, first.p, tok, 10, 60*time.Second)
		formed := time.Since(launched)

		// The newcomer: a prepared folder, then the measured start on the mesh's key.
		dir := b.TempDir()
		cfg := bmConfig(b, dir, "n10", "", nil)
		prep := start(b, cfg, "--log-level", "error")
		prep.setPassword("benchmark password")
		session := prep.login("benchmark password")
		resp, t := prep.send("POST", "/auth/tokens", map[string]any{"name": "bench"}, bearer(session)...)
		if resp.StatusCode != 201 {
			b.Fatalf("create token: %d %v", resp.StatusCode, t)
		}
		newTok := t["token"].(string)
		prep.stop()
		bmConfig(b, dir, "n10", key, first.addrs)
		time.Sleep(time.Second) // let the ten settle (they dial each other after node 0 sees them)

		b.StartTimer()
		begin := time.Now()
		p := launch(b, cfg, "--log-level", "error")
		ready := bmWaitAPI(b, p, begin)
		all, firstAt := bmWaitOnline(b, p, newTok, 11, 60*time.Second)
		joined, firstPeer := ready+all, ready+firstAt
		b.StopTimer()
		_, direct, _ := bmOnline(p, newTok)

		joins = append(joins, joined.Seconds())
		readies = append(readies, ready.Seconds())
		firsts = append(firsts, firstPeer.Seconds())
		fmt.Printf("join: nodes 1-9 launched to node 0 listing 10 online %.2f s (its login included); 11th node: API answers after %.1f ms, first peer (node 0) online after %.3f s, all 11 online after %.3f s (mesh part %.3f s), then connected to %d of 10\n",
			formed.Seconds(), ready.Seconds()*1000, firstPeer.Seconds(), joined.Seconds(), (joined - ready).Seconds(), direct)
		p.kill()
		for _, n := range mesh {
			n.p.kill()
		}
		b.StartTimer()
	}
	join, ready := bmMedian(joins), bmMedian(readies)
	b.ReportMetric(join, "join-s")
	b.ReportMetric(joins[len(joins)-1], "max-join-s") // bmMedian sorted them
	b.ReportMetric(ready*1000, "start-to-API-ms")
	b.ReportMetric(join-ready, "mesh-part-s")
	b.ReportMetric(bmMedian(firsts), "first-peer-s")
	b.ReportMetric(0, "ns/op")
}

// bmWaitAPI waits until p's API answers GET /system/status and returns the time since begin.
func bmWaitAPI(b *testing.B, p *proc, begin time.Time) time.Duration {
	b.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if code, _, err := bmGet(p, "/system/status", ""); err == nil && code == 200 {
			return time.Since(begin)
		}
		select {
		case <-p.done:
			b.Fatalf("daemon exited before it was ready: %v\n%s", p.err, p.output())
		case <-time.After(2 * time.Millisecond):
		}
	}
	b.Fatalf("the API did not answer within 20 s:\n%s", p.output())
	return 0
}
