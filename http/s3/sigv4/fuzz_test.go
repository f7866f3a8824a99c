package sigv4

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzParseAuthorization: the Authorization parser never panics, and whatever it accepts
// re-formats to a header that parses to the same thing. Plain `go test` runs the seeds.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AKID/20260314/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" + strings.Repeat("ab", 32),
		"AWS4-HMAC-SHA256 Credential=AK/ID/20260314/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + strings.Repeat("0", 64),
		"AWS4-HMAC-SHA256 Signature=" + strings.Repeat("f", 64) + ", SignedHeaders=host, Credential=A/20260314/r/s3/aws4_request",
		"AWS4-HMAC-SHA256 Credential=/20260314/us-east-1/s3/aws4_request, SignedHeaders=, Signature=",
		"AWS4-HMAC-SHA256 Credential=A/2026031/us-east-1/s3/aws4_request, SignedHeaders=Host, Signature=x",
		"AWS4-HMAC-SHA256 Credential=A/20260314/us-east-1/s3/aws4_request, Credential=B/20260314/us-east-1/s3/aws4_request",
		"AWS AKID:c2lnbmF0dXJl", "AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256 ,,,", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		a, err := parseAuthorization(header)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("a refusal must be an *Error, got %T", err)
			}
			return
		}
		again := Algorithm + " Credential=" + a.Credential.AccessKeyID + "/" + a.Credential.scope() +
			", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") + ", Signature=" + a.Signature
		b, err := parseAuthorization(again)
		if err != nil || b.Credential != a.Credential || b.Signature != a.Signature || !slices.Equal(a.SignedHeaders, b.SignedHeaders) {
			t.Fatalf("%q parsed to %+v, its re-formatting %q to %+v (%v)", header, a, again, b, err)
		}
		if !isLowerHex(a.Signature, 64) || a.Credential.AccessKeyID == "" {
			t.Fatalf("accepted %+v", a)
		}
	})
}

// FuzzParsePresignQuery: the query parser and the presigned-URL parser never panic, and what
// they accept respects S3's limits (expiry within a week, a 64-hex signature).
func FuzzParsePresignQuery(f *testing.F) {
	sig := strings.Repeat("cd", 32)
	for _, s := range []string{
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260314%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260314T150926Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=" + sig,
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A/20260314/r/s3/aws4_request&X-Amz-Date=20260314T150926Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host&X-Amz-Signature=" + sig,
		"X-Amz-Signature=1&X-Amz-Signature=2", "a=%zz", "uploads&partNumber=1&uploadId=x+y%20z", "&&=&=a", ";",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		pairs, err := parseQuery(raw)
		if err != nil {
			return
		}
		_ = canonicalQuery(pairs, "X-Amz-Signature")
		p, err := parsePresign(pairs)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("a refusal must be an *Error, got %T", err)
			}
			return
		}
		if p.Expires < 0 || p.Expires > MaxPresignExpiry || !isLowerHex(p.Signature, 64) {
			t.Fatalf("accepted %+v", p)
		}
	})
}

// FuzzSignedChunkedBody: whatever bytes arrive for a request with signed chunks, the decoder
// never panics and either refuses or yields exactly the payload the client signed.
func FuzzSignedChunkedBody(f *testing.F) {
	up := chunkedUpload{mode: streamingSignedTrailer, chunks: [][]byte{chunk(300, 'a'), chunk(20, 'b')}, trailer: "x-amz-checksum-crc32c"}
	req, body := up.build(f)
	want := bytes.Join(up.chunks, nil)
	f.Add(body)
	f.Add(body[:len(body)-3])
	f.Add(bytes.Replace(body, []byte("\r\n"), []byte("\n"), -1))
	f.Add([]byte("0;chunk-signature=" + strings.Repeat("0", 64) + "\r\n\r\n"))
	v := &Verifier{Region: testRegion, Lookup: lookup, Now: func() time.Time { return signTime }}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := serverRequest(req, data)
		res, err := v.Verify(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(res.Body(r))
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("accepted a body that decodes to %q", got)
		}
		if err != nil && !bytes.HasPrefix(want, got) {
			t.Fatalf("released bytes that were never signed: %q", got)
		}
	})
}
