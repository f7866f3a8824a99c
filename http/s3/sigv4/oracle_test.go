package sigv4

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestSDKSignedRequestsVerify sends requests signed by the AWS SDK's own signer over real
// HTTP and checks our verifier accepts each one and hands back the exact body.
func TestSDKSignedRequestsVerify(t *testing.T) {
	srv := httptest.NewServer(gateway(newVerifier(fixedClock(signTime.Add(2 * time.Minute)))))
	defer srv.Close()
	cases := []struct {
		name, method, key, query, body, payload string
		header                                  http.Header
		wantMode                                string
		wire                                    func(r *http.Request) // a change on the wire that keeps the meaning
	}{
		{name: "get", method: "GET", key: "photo.jpg", wantMode: "SHA256"},
		{name: "put signed body", method: "PUT", key: "docs/report.txt", body: "hello, mesh\n", wantMode: "SHA256",
			header: http.Header{"Content-Type": {"text/plain"}, "X-Amz-Meta-Note": {"  two   spaces  here "}}},
		{name: "repeated header", method: "PUT", key: "k", body: "x", wantMode: "SHA256",
			header: http.Header{"X-Amz-Meta-Tags": {"a", " b  c", "d"}}},
		{name: "special key", method: "PUT", key: "dir/a b+c%d(e)!*'ü~=&$@.txt", body: "y", wantMode: "SHA256"},
		{name: "unnormalized key", method: "GET", key: "a/./b/../c//d/", wantMode: "SHA256"},
		{name: "list query", method: "GET", key: "", query: "list-type=2&prefix=a%2Fb%20c&delimiter=%2F&max-keys=10&encoding-type=url", wantMode: "SHA256"},
		{name: "subresource without value", method: "POST", key: "big.bin", query: "uploads", wantMode: "SHA256"},
		{name: "repeated and unsorted query", method: "GET", key: "x", query: "z=1&a=2&a=1&m=a-b&m=a%2Fb&e=%E2%9C%93", wantMode: "SHA256"},
		{name: "query reordered after signing", method: "GET", key: "x", query: "b=1&a=2&a=1&c=%2F", wantMode: "SHA256",
			wire: func(r *http.Request) { r.URL.RawQuery = "c=%2f&a=1&b=1&a=2" }},
		{name: "path escaped in lower case", method: "GET", key: "dir/ü x.txt", wantMode: "SHA256",
			wire: func(r *http.Request) { r.URL.RawPath = "/bucket/dir/%c3%bc%20x.txt" }},
		{name: "unsigned payload", method: "PUT", key: "u.bin", body: strings.Repeat("z", 10000), payload: unsignedPayload, wantMode: unsignedPayload},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := s3Request(t, tc.method, srv.URL, tc.key, tc.query, tc.body)
			for k, vs := range tc.header {
				req.Header[k] = vs
			}
			sdkSign(t, req, tc.payload, signTime, testRegion)
			if tc.wire != nil {
				tc.wire(req)
			}
			resp, code := do(t, srv.Client(), req)
			if code != "" {
				t.Fatalf("refused with %s (%d)", code, resp.StatusCode)
			}
			if got := resp.Header.Get("X-Test-Mode"); got != tc.wantMode {
				t.Errorf("mode %q, want %q", got, tc.wantMode)
			}
			if got := resp.Header.Get("X-Test-Body-Sha256"); got != hexSHA256([]byte(tc.body)) {
				t.Errorf("the gateway read a different body")
			}
			if got := resp.Header.Get("X-Test-Key"); got != testKeyID {
				t.Errorf("access key %q", got)
			}
		})
	}
}

// TestWirePathFallback: a client that signs the path as it sent it, with '!' and '(' left
// unescaped (legal in a path), is accepted too.
func TestWirePathFallback(t *testing.T) {
	srv := httptest.NewServer(gateway(newVerifier(fixedClock(signTime))))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/bucket/a!b(c)", nil)
	sdkSign(t, req, "", signTime, testRegion)
	if _, code := do(t, srv.Client(), req); code != "" {
		t.Fatalf("refused with %s", code)
	}
}

// sdkPresign returns a request for the SDK-presigned URL of req, with the headers it signed.
func sdkPresign(t *testing.T, req *http.Request, expires string, at time.Time) *http.Request {
	t.Helper()
	q := req.URL.Query()
	q.Set("X-Amz-Expires", expires)
	req.URL.RawQuery = q.Encode()
	u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), testCreds, req, unsignedPayload, "s3", testRegion, at,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest(req.Method, u, req.Body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		if k != "Host" {
			out.Header[k] = vs
		}
	}
	out.ContentLength = req.ContentLength
	return out
}

// TestSDKPresignedURLsVerify checks presigned GET and PUT URLs from the SDK's PresignHTTP.
func TestSDKPresignedURLsVerify(t *testing.T) {
	srv := httptest.NewServer(gateway(newVerifier(fixedClock(signTime.Add(59 * time.Minute)))))
	defer srv.Close()

	get := sdkPresign(t, s3Request(t, "GET", srv.URL, "shared/a b.pdf", "response-content-disposition=attachment", ""), "3600", signTime)
	if resp, code := do(t, srv.Client(), get); code != "" {
		t.Fatalf("presigned GET refused with %s (%d)", code, resp.StatusCode)
	}

	put := s3Request(t, "PUT", srv.URL, "upload/x.txt", "", "presigned body")
	put.Header.Set("Content-Type", "text/plain")
	put.Header.Set("X-Amz-Meta-Owner", "ann")
	signed := sdkPresign(t, put, "3600", signTime)
	resp, code := do(t, srv.Client(), signed)
	if code != "" {
		t.Fatalf("presigned PUT refused with %s (%d)", code, resp.StatusCode)
	}
	if got := resp.Header.Get("X-Test-Mode"); got != unsignedPayload {
		t.Errorf("presigned mode %q, want UNSIGNED-PAYLOAD", got)
	}
	if got := resp.Header.Get("X-Test-Body-Sha256"); got != hexSHA256([]byte("presigned body")) {
		t.Errorf("the gateway read a different body")
	}
}
