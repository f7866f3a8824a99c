package sigv4

import (
	"crypto/md5"
	"encoding/base64"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestTamperedRequestsRefused: each request is signed correctly by the SDK, then changed the
// way an attacker or a broken client would; each must be refused with the S3 code a client
// expects, as an S3 XML error.
func TestTamperedRequestsRefused(t *testing.T) {
	now := signTime.Add(time.Minute)
	srv := httptest.NewServer(gateway(newVerifier(fixedClock(now))))
	defer srv.Close()
	put := func(t *testing.T) *http.Request {
		req := s3Request(t, "PUT", srv.URL, "docs/a.txt", "tagging", "original body")
		req.Header.Set("X-Amz-Meta-Color", "blue")
		return req
	}
	signed := func(t *testing.T) *http.Request {
		req := put(t)
		sdkSign(t, req, "", signTime, testRegion)
		return req
	}
	crc := func(s string) string {
		var b [4]byte
		v := crc32.ChecksumIEEE([]byte(s))
		b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
		return base64.StdEncoding.EncodeToString(b[:])
	}
	cases := []struct {
		name   string
		build  func(t *testing.T) *http.Request
		code   string
		status int
	}{
		{"signed header changed", func(t *testing.T) *http.Request {
			r := signed(t)
			r.Header.Set("X-Amz-Meta-Color", "red")
			return r
		}, "SignatureDoesNotMatch", 403},
		{"path changed", func(t *testing.T) *http.Request {
			r := signed(t)
			r.URL.Path, r.URL.RawPath = "/bucket/docs/b.txt", ""
			return r
		}, "SignatureDoesNotMatch", 403},
		{"query added", func(t *testing.T) *http.Request {
			r := signed(t)
			r.URL.RawQuery += "&versionId=1"
			return r
		}, "SignatureDoesNotMatch", 403},
		{"method changed", func(t *testing.T) *http.Request {
			r := signed(t)
			r.Method = "POST"
			return r
		}, "SignatureDoesNotMatch", 403},
		{"body changed", func(t *testing.T) *http.Request {
			r := signed(t)
			r.Body = io.NopCloser(strings.NewReader("forged body!!"))
			return r
		}, "XAmzContentSHA256Mismatch", 400},
		{"unsigned x-amz header added", func(t *testing.T) *http.Request {
			r := signed(t)
			r.Header.Set("X-Amz-Meta-Extra", "1")
			return r
		}, "AccessDenied", 403},
		{"wrong secret", func(t *testing.T) *http.Request {
			r := put(t)
			creds := testCreds
			testCreds.SecretAccessKey = "not-the-secret"
			sdkSign(t, r, "", signTime, testRegion)
			testCreds = creds
			return r
		}, "SignatureDoesNotMatch", 403},
		{"unknown key", func(t *testing.T) *http.Request {
			r := signed(t)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), testKeyID, "AKIDNOBODY", 1))
			return r
		}, "InvalidAccessKeyId", 403},
		{"other region", func(t *testing.T) *http.Request {
			r := put(t)
			sdkSign(t, r, "", signTime, "eu-west-1")
			return r
		}, "AuthorizationHeaderMalformed", 400},
		{"scope date is not the request date", func(t *testing.T) *http.Request {
			r := signed(t)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20260314/", "/20260313/", 1))
			return r
		}, "AuthorizationHeaderMalformed", 400},
		{"x-amz-date moved", func(t *testing.T) *http.Request {
			r := signed(t)
			r.Header.Set("X-Amz-Date", signTime.Add(time.Second).Format(amzDateFormat))
			return r
		}, "SignatureDoesNotMatch", 403},
		{"signed 16 minutes ago", func(t *testing.T) *http.Request {
			r := put(t)
			sdkSign(t, r, "", now.Add(-16*time.Minute), testRegion)
			return r
		}, "RequestTimeTooSkewed", 403},
		{"signed 16 minutes ahead", func(t *testing.T) *http.Request {
			r := put(t)
			sdkSign(t, r, "", now.Add(16*time.Minute), testRegion)
			return r
		}, "RequestTimeTooSkewed", 403},
		{"bad content-sha256 value", func(t *testing.T) *http.Request {
			r := put(t)
			sdkSign(t, r, "not-a-hash", signTime, testRegion)
			return r
		}, "InvalidArgument", 400},
		{"no content-sha256", func(t *testing.T) *http.Request {
			r := signed(t)
			r.Header.Del("X-Amz-Content-Sha256")
			return r
		}, "InvalidRequest", 400},
		{"checksum does not match body", func(t *testing.T) *http.Request {
			r := put(t)
			r.Header.Set("X-Amz-Checksum-Crc32", crc("another body"))
			r.Header.Set("X-Amz-Sdk-Checksum-Algorithm", "CRC32")
			sdkSign(t, r, "", signTime, testRegion)
			return r
		}, "BadDigest", 400},
		{"checksum header not base64 of 4 bytes", func(t *testing.T) *http.Request {
			r := put(t)
			r.Header.Set("X-Amz-Checksum-Crc32", "AAAAAAAA")
			sdkSign(t, r, "", signTime, testRegion)
			return r
		}, "InvalidRequest", 400},
		{"sdk algorithm names another checksum", func(t *testing.T) *http.Request {
			r := put(t)
			r.Header.Set("X-Amz-Checksum-Crc32", crc("original body"))
			r.Header.Set("X-Amz-Sdk-Checksum-Algorithm", "SHA256")
			sdkSign(t, r, "", signTime, testRegion)
			return r
		}, "InvalidRequest", 400},
		{"content-md5 does not match", func(t *testing.T) *http.Request {
			r := put(t)
			sum := md5.Sum([]byte("something else"))
			r.Header.Set("Content-Md5", base64.StdEncoding.EncodeToString(sum[:]))
			sdkSign(t, r, "", signTime, testRegion)
			return r
		}, "BadDigest", 400},
		{"anonymous", func(t *testing.T) *http.Request { return put(t) }, "AccessDenied", 403},
		{"signature v2", func(t *testing.T) *http.Request {
			r := put(t)
			r.Header.Set("Authorization", "AWS "+testKeyID+":frJIUN8DYpKDtOLCwo//yllqDzg=")
			return r
		}, "InvalidRequest", 400},
		{"header and query auth", func(t *testing.T) *http.Request {
			r := signed(t)
			r.URL.RawQuery += "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
			return r
		}, "InvalidArgument", 400},
		{"malformed authorization", func(t *testing.T) *http.Request {
			r := signed(t)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testKeyID+"/20260314/us-east-1/s3/aws4_request, Signature=abc")
			return r
		}, "AuthorizationHeaderMalformed", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, code := do(t, srv.Client(), tc.build(t))
			if code != tc.code || resp.StatusCode != tc.status {
				t.Fatalf("got %s (%d), want %s (%d)", code, resp.StatusCode, tc.code, tc.status)
			}
			if resp.Header.Get("Content-Type") != "application/xml" || resp.Header.Get("X-Amz-Request-Id") != "test-request" {
				t.Errorf("error response headers %v", resp.Header)
			}
		})
	}
}

// TestTamperedPresignedURLsRefused covers the query form: expiry, its 7-day cap, a URL used
// before its time, and a changed query.
func TestTamperedPresignedURLsRefused(t *testing.T) {
	cases := []struct {
		name    string
		now     time.Time
		expires string
		tamper  func(r *http.Request)
		code    string
		status  int
	}{
		{"valid", signTime.Add(10 * time.Minute), "600", nil, "", 200},
		{"expired", signTime.Add(10*time.Minute + time.Second), "600", nil, "AccessDenied", 403},
		{"more than a week", signTime, "604801", nil, "AuthorizationQueryParametersError", 400},
		{"exactly a week", signTime.Add(7 * 24 * time.Hour), "604800", nil, "", 200},
		{"negative", signTime, "-1", nil, "AuthorizationQueryParametersError", 400},
		{"not valid yet", signTime.Add(-16 * time.Minute), "3600", nil, "AccessDenied", 403},
		{"query added", signTime, "3600", func(r *http.Request) { r.URL.RawQuery += "&acl" }, "SignatureDoesNotMatch", 403},
		{"expiry extended", signTime, "3600", func(r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=3600", "X-Amz-Expires=7200", 1)
		}, "SignatureDoesNotMatch", 403},
		{"signature dropped", signTime, "3600", func(r *http.Request) {
			q := r.URL.Query()
			q.Del("X-Amz-Signature")
			r.URL.RawQuery = q.Encode()
		}, "AuthorizationQueryParametersError", 400},
		{"unsigned x-amz header", signTime, "3600", func(r *http.Request) { r.Header.Set("X-Amz-Meta-X", "1") }, "AccessDenied", 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(gateway(newVerifier(fixedClock(tc.now))))
			defer srv.Close()
			req := sdkPresign(t, s3Request(t, "GET", srv.URL, "f.txt", "", ""), tc.expires, signTime)
			if tc.tamper != nil {
				tc.tamper(req)
			}
			resp, code := do(t, srv.Client(), req)
			if code != tc.code || resp.StatusCode != tc.status {
				t.Fatalf("got %q (%d), want %q (%d)", code, resp.StatusCode, tc.code, tc.status)
			}
		})
	}
}

// TestErrorXMLForHEAD: HEAD gets the status and headers but no body, as S3 answers.
func TestErrorXMLForHEAD(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, httptest.NewRequest("HEAD", "/bucket/k", nil), newError(ErrSignatureDoesNotMatch, "x"), "id")
	if rec.Code != 403 || rec.Body.Len() != 0 {
		t.Fatalf("HEAD: %d with %d body bytes", rec.Code, rec.Body.Len())
	}
	rec = httptest.NewRecorder()
	WriteError(rec, httptest.NewRequest("GET", "/bucket/k", nil), io.ErrClosedPipe, "id")
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "<Code>InternalError</Code>") ||
		strings.Contains(rec.Body.String(), "closed pipe") {
		t.Fatalf("a non-S3 error must be an opaque InternalError: %d %s", rec.Code, rec.Body.String())
	}
}

// TestMissingAuthIsDistinct: the gateway can tell an anonymous request (which it may serve
// for a public resource) from a refused signature, though both answer AccessDenied.
func TestMissingAuthIsDistinct(t *testing.T) {
	v := newVerifier(fixedClock(signTime.Add(2 * time.Hour)))
	_, anon := v.Verify(httptest.NewRequest("GET", "/bucket/k", nil))
	expired := sdkPresign(t, s3Request(t, "GET", "http://s3.test", "k", "", ""), "60", signTime)
	_, exp := v.Verify(serverRequest(expired, nil))
	if !errors.Is(anon, ErrMissingAuth) || !errors.Is(anon, ErrAccessDenied) {
		t.Errorf("anonymous: %v", anon)
	}
	if errors.Is(exp, ErrMissingAuth) || !errors.Is(exp, ErrAccessDenied) {
		t.Errorf("an expired URL must not look anonymous: %v", exp)
	}
}
