package main

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	binenc "encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
)

// The S3 benchmarks start the real binary with node.s3 on and move the same number of
// objects of the same size through the S3 gateway (aws-sdk-go-v2 with its defaults: on plain
// HTTP the payload's SHA-256 is signed and a CRC32 checksum header sent) and through the REST
// files routes, in the same run, against the same daemon and disk, 8 concurrent clients each;
// the target is S3 ≥ 0.9× REST. docs/benchmarks.md, "S3". Run them once:
//
//	go test -run '^$' -bench 'S3VsREST' -benchtime 1x ./cmd/meshhold
//
// MESHHOLD_BENCH_S3_SMALL sets how many 16 KiB objects BenchmarkS3VsREST16KiB moves (10,000).

const (
	bsClients  = 8
	bsPassword = "benchmark password"
	bsBucket   = "bench"
)

// bsNode is a daemon with the gateway on: one vault served as bucket "bench", an S3 key
// granted every op on it, an API token; a client of each kind with 8 connections.
type bsNode struct {
	p     *proc
	tok   string // API token
	vault string // vault id
	s3    *awss3.Client
	rest  *http.Client
}

// bsStart prepares a fresh folder (password, vault, alias, key, grant, token) and restarts the
// daemon on it, so that the process measured has not run argon2id (see benchVault).
func bsStart(b *testing.B) *bsNode {
	b.Helper()
	dir := b.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	src := "node:\n  listen_addrs: []\n  s3:\n    enabled: true\n    listen_addr: 127.0.0.1:0\napi:\n  bind: 127.0.0.1:0\n"
	if err := os.WriteFile(cfg, []byte(src), 0o600); err != nil {
		b.Fatal(err)
	}
	p := start(b, cfg, "--log-level", "error")
	p.setPassword(bsPassword)
	session := bearer(p.login(bsPassword))
	send := func(method, path string, v any, want int) map[string]any {
		b.Helper()
		resp, body := p.send(method, path, v, session...)
		if resp.StatusCode != want {
			b.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, body)
		}
		return body
	}
	id := send("POST", "/vaults", map[string]any{"name": "bench"}, 201)["id"].(string)
	send("PUT", "/vaults/"+id+"/s3-alias", map[string]any{"alias": bsBucket}, 200)
	key := send("POST", "/s3/keys", map[string]any{"label": "bench"}, 201)
	keyID, secret := key["access_key_id"].(string), key["secret_access_key"].(string)
	send("PUT", "/s3/permissions", map[string]any{"key_id": keyID, "bucket": bsBucket, "ops": []string{"read", "write"}}, 200)
	tok := send("POST", "/auth/tokens", map[string]any{"name": "bench"}, 201)["token"].(string)
	p.stop()

	p = start(b, cfg, "--log-level", "error")
	b.Cleanup(p.stop)
	base, err := url.Parse(s3Endpoint(b, p))
	if err != nil {
		b.Fatal(err)
	}
	// Its own transport: the SDK never reads AWS_CA_BUNDLE when built from Options.
	s3c := awss3.New(awss3.Options{
		Region:             "meshhold",
		EndpointResolverV2: bsResolver{base: *base},
		UsePathStyle:       true,
		Credentials:        credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		HTTPClient:         benchClient(bsClients),
		RetryMaxAttempts:   1,
	})
	return &bsNode{p: p, tok: tok, vault: id, s3: s3c, rest: benchClient(bsClients)}
}

// bsResolver is a static path-style endpoint (http://host/<bucket>). The SDK's rules-based
// resolver compiles regular expressions on every request (a third of the client's CPU for small
// objects), and the client shares the machine's two cores with the daemon measured.
type bsResolver struct{ base url.URL }

// ResolveEndpoint puts the bucket in the path; the signer takes the region from the options.
func (r bsResolver) ResolveEndpoint(_ context.Context, params awss3.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u := r.base
	u.Path = "/" + aws.ToString(params.Bucket)
	return smithyendpoints.Endpoint{URI: u}, nil
}

// bsObjects generates n objects of size bytes of AES-CTR keystream (seed the key, the index
// the nonce): no object shares a block with another, or with another seed's.
func bsObjects(n, size int, seed uint64) [][]byte {
	var key [16]byte
	binenc.LittleEndian.PutUint64(key[:], seed)
	blk, _ := aes.NewCipher(key[:])
	objs := make([][]byte, n)
	for i := range objs {
		var iv [16]byte
		binenc.BigEndian.PutUint64(iv[:8], uint64(i))
		objs[i] = make([]byte, size)
		cipher.NewCTR(blk, iv[:]).XORKeyStream(objs[i], objs[i])
	}
	return objs
}

// bsRun runs op(i) for i in 0…n-1 from 8 workers and returns the wall time and the daemon's and
// this process's CPU seconds; the first error fails the benchmark.
func (n *bsNode) bsRun(b *testing.B, count int, op func(i int) error) (wall time.Duration, daemonCPU, clientCPU float64) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	cpu0, self0 := cpuSeconds(b, n.p.cmd.Process.Pid), cpuSeconds(b, os.Getpid())
	begin := time.Now()
	for range bsClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < count; i = int(next.Add(1) - 1) {
				if err := op(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(count))
					return
				}
			}
		}()
	}
	wg.Wait()
	wall = time.Since(begin)
	if first != nil {
		b.Fatal(first)
	}
	return wall, cpuSeconds(b, n.p.cmd.Process.Pid) - cpu0, cpuSeconds(b, os.Getpid()) - self0
}

// s3Put uploads body as key with PutObject.
func (n *bsNode) s3Put(key string, body []byte) error {
	_, err := n.s3.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String(bsBucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		return fmt.Errorf("PutObject %s: %w", key, err)
	}
	return nil
}

// s3Get downloads key with GetObject and checks it is want.
func (n *bsNode) s3Get(key string, want []byte) error {
	out, err := n.s3.GetObject(context.Background(), &awss3.GetObjectInput{Bucket: aws.String(bsBucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("GetObject %s: %w", key, err)
	}
	defer out.Body.Close()
	return bsSame(key, out.Body, want)
}

// restPut uploads body as the file /key through POST …/upload.
func (n *bsNode) restPut(key string, body []byte) error {
	return uploadBody(n.rest, n.p, n.tok, n.vault, "/"+key, bytes.NewReader(body), int64(len(body)))
}

// restGet downloads the file /key through GET …/download and checks it is want.
func (n *bsNode) restGet(key string, want []byte) error {
	req, _ := http.NewRequest("GET", n.p.api+"/vaults/"+n.vault+"/download/"+key, nil)
	req.Header.Set("Authorization", "Bearer "+n.tok)
	resp, err := n.rest.Do(req)
	if err != nil {
		return fmt.Errorf("download %s: %w", key, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("download %s: %d", key, resp.StatusCode)
	}
	return bsSame(key, resp.Body, want)
}

// bsBufs are the read buffers of bsSame: reading a 64 MiB body whole would cost the client
// more (allocating and clearing it) than the request itself.
var bsBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// bsSame reads r to its end and checks it is want, a buffer at a time.
func bsSame(key string, r io.Reader, want []byte) error {
	bufp := bsBufs.Get().(*[]byte)
	defer bsBufs.Put(bufp)
	off := 0
	for {
		n, err := r.Read(*bufp)
		if off+n > len(want) || !bytes.Equal((*bufp)[:n], want[off:off+n]) {
			return fmt.Errorf("%s: the bytes back differ from the uploaded ones at offset %d", key, off)
		}
		off += n
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", key, err)
		}
	}
	if off != len(want) {
		return fmt.Errorf("%s: %d bytes back, not the %d uploaded", key, off, len(want))
	}
	return nil
}

// bsCompare moves count objects of size bytes both ways: PUT through REST then S3 (each its
// own bytes, so no upload finds the other's blocks), GET through S3 then REST (each its own
// objects); it prints and reports the rates and the S3/REST ratios.
func bsCompare(b *testing.B, count, size int, label string) {
	n := bsStart(b)
	restObjs, s3Objs := bsObjects(count, size, 1), bsObjects(count, size, 2)
	key := func(side string, i int) string { return fmt.Sprintf("%s/%s/o%06d", label, side, i) }
	type result struct {
		wall              time.Duration
		daemonCPU, client float64
	}
	measure := func(op func(i int) error) result {
		w, d, c := n.bsRun(b, count, op)
		return result{w, d, c}
	}
	restPut := measure(func(i int) error { return n.restPut(key("rest", i), restObjs[i]) })
	s3Put := measure(func(i int) error { return n.s3Put(key("s3", i), s3Objs[i]) })
	s3Get := measure(func(i int) error { return n.s3Get(key("s3", i), s3Objs[i]) })
	restGet := measure(func(i int) error { return n.restGet(key("rest", i), restObjs[i]) })

	total := float64(count) * float64(size)
	rate := func(r result) float64 { return total / r.wall.Seconds() / 1e6 }
	perObj := func(r result) float64 { return 1e6 * r.daemonCPU / float64(count) }
	line := func(what string, s3, rest result) {
		fmt.Printf("%s %s ×%d, %d clients: S3 %.1f MB/s (%.0f obj/s) vs REST %.1f MB/s (%.0f obj/s) = %.2f×; daemon CPU %.0f vs %.0f µs/object, client CPU %.2f vs %.2f s\n",
			label, what, count, bsClients, rate(s3), float64(count)/s3.wall.Seconds(), rate(rest), float64(count)/rest.wall.Seconds(),
			rate(s3)/rate(rest), perObj(s3), perObj(rest), s3.client, rest.client)
	}
	line("PUT", s3Put, restPut)
	line("GET", s3Get, restGet)
	b.ReportMetric(rate(s3Put), "s3-put-MB/s")
	b.ReportMetric(rate(restPut), "rest-put-MB/s")
	b.ReportMetric(rate(s3Put)/rate(restPut), "x-put")
	b.ReportMetric(rate(s3Get), "s3-get-MB/s")
	b.ReportMetric(rate(restGet), "rest-get-MB/s")
	b.ReportMetric(rate(s3Get)/rate(restGet), "x-get")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkS3VsREST1MiB: 256 objects of 1 MiB, PUT and GET, S3 vs REST.
func BenchmarkS3VsREST1MiB(b *testing.B) { bsCompare(b, 256, 1<<20, "1MiB") }

// BenchmarkS3VsREST64MiB: 16 objects of 64 MiB (two a client; 64 MiB is max_put_bytes, so one
// PutObject each), PUT and GET, S3 vs REST.
func BenchmarkS3VsREST64MiB(b *testing.B) { bsCompare(b, 16, 64<<20, "64MiB") }

// BenchmarkS3VsREST16KiB: 10,000 objects of 16 KiB (MESHHOLD_BENCH_S3_SMALL), PUT and GET, S3
// vs REST.
func BenchmarkS3VsREST16KiB(b *testing.B) {
	count := 10_000
	if s := os.Getenv("MESHHOLD_BENCH_S3_SMALL"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < bsClients {
			b.Fatalf("MESHHOLD_BENCH_S3_SMALL=%q: want a number ≥ %d", s, bsClients)
		}
		count = v
	}
	bsCompare(b, count, 16<<10, "16KiB")
}
