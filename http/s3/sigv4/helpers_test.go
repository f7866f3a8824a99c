package sigv4

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"
)

const (
	testKeyID  = "AKIDMESHHOLDTEST"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testRegion = "us-east-1"
)

// signTime is the fixed clock of the oracle tests (a time whose day ends soon, to test scopes).
var signTime = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

var testCreds = aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}

func lookup(id string) (string, error) {
	if id == testKeyID {
		return testSecret, nil
	}
	return "", ErrUnknownAccessKey
}

// newVerifier returns a verifier for us-east-1/s3 whose clock reads now (nil: the real clock).
func newVerifier(now func() time.Time) *Verifier {
	return &Verifier{Region: testRegion, Service: "s3", Lookup: lookup, Now: now}
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// gateway is the smallest S3 endpoint: verify, read the checked body, echo its checksum, and
// answer the S3 XML error on any refusal. It reports what it saw in X-Test-* headers.
func gateway(v *Verifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := v.Verify(r)
		if err != nil {
			WriteError(w, r, err, "test-request")
			return
		}
		body := res.Body(r)
		data, err := io.ReadAll(body)
		if err != nil {
			WriteError(w, r, err, "test-request")
			return
		}
		if c, ok := body.Checksum(); ok {
			w.Header().Set(c.Header(), c.Value)
		}
		sum := md5.Sum(data)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
		w.Header().Set("X-Test-Key", res.AccessKeyID)
		w.Header().Set("X-Test-Mode", res.Mode.String())
		w.Header().Set("X-Test-Body-Sha256", hexSHA256(data))
		w.WriteHeader(http.StatusOK)
	})
}

// s3Error is the parsed S3 XML error document.
type s3Error struct {
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
	RequestID string `xml:"RequestId"`
}

// do sends req and returns the status and the S3 error code (empty on success).
func do(t *testing.T, client *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("send %s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		return resp, ""
	}
	var e s3Error
	if err := xml.Unmarshal(raw, &e); err != nil {
		t.Fatalf("status %d with a body that is not an S3 error: %q", resp.StatusCode, raw)
	}
	return resp, e.Code
}

// s3Request builds a request the way the S3 SDK does: the key is escaped once into RawPath.
func s3Request(t *testing.T, method, base, key, rawQuery string, body string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Path = "/bucket/" + key
	req.URL.RawPath = "/bucket/" + httpbinding.EscapePath(key, false)
	req.URL.RawQuery = rawQuery
	return req
}

// sdkSign signs req with the SDK signer as the S3 client configures it (no double escaping).
func sdkSign(t testing.TB, req *http.Request, payload string, at time.Time, region string) {
	t.Helper()
	if payload == "" {
		payload = bodyHash(t, req)
	}
	req.Header.Set("X-Amz-Content-Sha256", payload)
	err := v4.NewSigner().SignHTTP(context.Background(), testCreds, req, payload, "s3", region, at,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil {
		t.Fatal(err)
	}
}

// bodyHash hashes the request body and rewinds it.
func bodyHash(t testing.TB, req *http.Request) string {
	t.Helper()
	if req.Body == nil || req.GetBody == nil {
		return emptySHA256
	}
	data, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	req.Body, _ = req.GetBody()
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
