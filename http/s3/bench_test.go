package s3_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/http/api/apitest"
)

// BenchmarkPutGet1MiB compares 1 MiB PUT and GET through S3 (aws-sdk-go-v2, default
// checksums) with the same through the REST files routes on one node, 8 clients each:
// go test -run '^$' -bench PutGet1MiB ./http/s3
func BenchmarkPutGet1MiB(b *testing.B) {
	r := newRig(b, 0)
	id := r.vault("bench")
	r.key("bench", "bench", "read", "write")
	c := r.sdk("bench")
	restSrv := newRESTServer(r)
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	var n atomic.Int64
	b.Run("s3-put", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.SetParallelism(4) // 2 cores × 4 = 8 clients
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				key := fmt.Sprintf("o/%d", n.Add(1)%64)
				if _, err := c.PutObject(ctx(), &awss3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("rest-put", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				url := fmt.Sprintf("%s%s/vaults/%s/upload/o/%d", restSrv, api.Prefix, id, n.Add(1)%64)
				req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+apitest.GoodToken)
				res, err := r.srv.Client().Do(req)
				if err != nil || res.StatusCode != http.StatusCreated {
					b.Fatalf("REST upload: %v %v", err, res)
				}
				res.Body.Close()
			}
		})
	})
	b.Run("s3-get", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				out, err := c.GetObject(ctx(), &awss3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String(fmt.Sprintf("o/%d", n.Add(1)%64))})
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, out.Body)
				out.Body.Close()
			}
		})
	})
	b.Run("rest-get", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest("GET", fmt.Sprintf("%s%s/vaults/%s/download/o/%d", restSrv, api.Prefix, id, n.Add(1)%64), nil)
				req.Header.Set("Authorization", "Bearer "+apitest.GoodToken)
				res, err := r.srv.Client().Do(req)
				if err != nil || res.StatusCode != http.StatusOK {
					b.Fatalf("REST download: %v %v", err, res)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		})
	})
}
