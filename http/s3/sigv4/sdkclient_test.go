package sigv4

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// seen records the payload mode of each request the gateway verified.
type seen struct {
	mu    sync.Mutex
	modes []string
}

func (s *seen) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		s.mu.Lock()
		s.modes = append(s.modes, w.Header().Get("X-Test-Mode"))
		s.mu.Unlock()
	})
}

func (s *seen) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.modes) == 0 {
		return ""
	}
	return s.modes[len(s.modes)-1]
}

// sdkClient is a real S3 client from the AWS SDK aimed at srv, with its own HTTP client so
// no AWS_CA_BUNDLE or profile from the environment applies. RequestChecksumCalculation is
// WhenSupported, the default config.LoadDefaultConfig gives every SDK user (s3.New alone
// leaves it unset).
func sdkClient(srv *httptest.Server, secret string) *s3.Client {
	return s3.New(s3.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(srv.URL),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider(testKeyID, secret, ""),
		HTTPClient:       srv.Client(),
		RetryMaxAttempts: 1,

		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
	})
}

// TestSDKPutObjectDefaultChecksums: the SDK's PutObject with its default checksum behaviour
// verifies — over TLS the body is STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer,
// over plain HTTP a signed SHA-256 with a CRC32 header — and the SDK reads back the echoed
// checksum. Other algorithms and a wrong secret are covered too.
func TestSDKPutObjectDefaultChecksums(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	body := bytes.Repeat([]byte("meshhold s3 gateway "), 20000) // 400 kB, several chunks
	crc := crc32.ChecksumIEEE(body)
	wantCRC := base64.StdEncoding.EncodeToString([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	for _, tls := range []bool{true, false} {
		var s seen
		handler := s.wrap(gateway(newVerifier(nil)))
		var srv *httptest.Server
		if tls {
			srv = httptest.NewTLSServer(handler)
		} else {
			srv = httptest.NewServer(handler)
		}
		defer srv.Close()
		name := map[bool]string{true: "https", false: "http"}[tls]
		t.Run(name+"/default", func(t *testing.T) {
			out, err := sdkClient(srv, testSecret).PutObject(context.Background(), &s3.PutObjectInput{
				Bucket: aws.String("bucket"), Key: aws.String("dir/object one.bin"), Body: bytes.NewReader(body),
			})
			if err != nil {
				t.Fatal(err)
			}
			want := map[bool]string{true: streamingUnsignedTrailer, false: "SHA256"}[tls]
			if s.last() != want {
				t.Errorf("the SDK sent %s, expected %s", s.last(), want)
			}
			if aws.ToString(out.ChecksumCRC32) != wantCRC {
				t.Errorf("echoed CRC32 %q, want %q", aws.ToString(out.ChecksumCRC32), wantCRC)
			}
		})
		if tls { // the SDK needs TLS, and so the trailer, for a body it cannot rewind
			t.Run(name+"/unseekable", func(t *testing.T) {
				_, err := sdkClient(srv, testSecret).PutObject(context.Background(), &s3.PutObjectInput{
					Bucket: aws.String("bucket"), Key: aws.String("stream.bin"), Body: io.MultiReader(bytes.NewReader(body)),
					ContentLength: aws.Int64(int64(len(body))),
				})
				if err != nil {
					t.Fatal(err)
				}
				if s.last() != streamingUnsignedTrailer {
					t.Errorf("the SDK sent %s", s.last())
				}
			})
		}
		for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmSha1,
			types.ChecksumAlgorithmSha256, types.ChecksumAlgorithmCrc64nvme} {
			t.Run(name+"/"+string(alg), func(t *testing.T) {
				out, err := sdkClient(srv, testSecret).PutObject(context.Background(), &s3.PutObjectInput{
					Bucket: aws.String("bucket"), Key: aws.String("k"), Body: bytes.NewReader(body), ChecksumAlgorithm: alg,
				})
				if err != nil {
					t.Fatal(err)
				}
				echoed := map[types.ChecksumAlgorithm]*string{types.ChecksumAlgorithmCrc32c: out.ChecksumCRC32C,
					types.ChecksumAlgorithmSha1: out.ChecksumSHA1, types.ChecksumAlgorithmSha256: out.ChecksumSHA256,
					types.ChecksumAlgorithmCrc64nvme: out.ChecksumCRC64NVME}[alg]
				if aws.ToString(echoed) == "" {
					t.Errorf("no %s echoed", alg)
				}
			})
		}
		t.Run(name+"/wrong secret", func(t *testing.T) {
			_, err := sdkClient(srv, "wrong").PutObject(context.Background(), &s3.PutObjectInput{
				Bucket: aws.String("bucket"), Key: aws.String("k"), Body: strings.NewReader("x"),
			})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "SignatureDoesNotMatch" {
				t.Fatalf("the SDK should see SignatureDoesNotMatch, got %v", err)
			}
		})
		t.Run(name+"/get and list", func(t *testing.T) {
			c := sdkClient(srv, testSecret)
			if _, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("bucket"), Key: aws.String("a/b c.txt")}); err != nil {
				t.Fatal(err)
			}
			_, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("bucket"),
				Prefix: aws.String("a b/"), Delimiter: aws.String("/"), StartAfter: aws.String("x+y")})
			if err != nil && !strings.Contains(err.Error(), "deserialization failed") { // our test gateway answers no XML listing
				t.Fatal(err)
			}
		})
	}
}

// TestSDKPresignClient: URLs from the SDK's S3 presign client work with a plain HTTP client.
func TestSDKPresignClient(t *testing.T) {
	srv := httptest.NewServer(gateway(newVerifier(nil)))
	defer srv.Close()
	p := s3.NewPresignClient(sdkClient(srv, testSecret))
	put, err := p.PresignPutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("p q/r.txt"),
		ContentType: aws.String("text/plain")})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(put.Method, put.URL, strings.NewReader("via presigned url"))
	for k, vs := range put.SignedHeader {
		if k != "Host" {
			req.Header[k] = vs
		}
	}
	if resp, code := do(t, srv.Client(), req); code != "" {
		t.Fatalf("presigned PUT refused: %s (%d)", code, resp.StatusCode)
	}
	get, err := p.PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("p q/r.txt")})
	if err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(get.Method, get.URL, nil)
	if resp, code := do(t, srv.Client(), req); code != "" {
		t.Fatalf("presigned GET refused: %s (%d)", code, resp.StatusCode)
	}
}
