package sigv4

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// chunkedUpload describes an aws-chunked PUT to build.
type chunkedUpload struct {
	mode     string   // x-amz-content-sha256 value
	chunks   [][]byte // payload chunks, in order
	trailer  string   // "" or e.g. "x-amz-checksum-crc32c"
	value    string   // trailer value; computed from the payload when empty
	announce string   // x-amz-trailer header; defaults to trailer
}

func crc32cB64(data []byte) string {
	v := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))
	return base64.StdEncoding.EncodeToString([]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// build signs the upload the way SDKs do — the seed with the SDK's SignHTTP, each chunk with
// the SDK's StreamSigner (whose empty-header form is exactly the S3 chunk signature) and the
// trailer per the AWS documentation — and returns the server-side request and the encoded body.
func (u chunkedUpload) build(t testing.TB) (*http.Request, []byte) {
	t.Helper()
	var payload []byte
	for _, c := range u.chunks {
		payload = append(payload, c...)
	}
	req, _ := http.NewRequest("PUT", "http://s3.test/bucket/chunked.bin", nil)
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(payload)))
	announce := u.announce
	if announce == "" {
		announce = u.trailer
	}
	if announce != "" {
		req.Header.Set("X-Amz-Trailer", announce)
	}
	sdkSign(t, req, u.mode, signTime, testRegion)
	auth := req.Header.Get("Authorization")
	seed, _ := hex.DecodeString(auth[strings.LastIndex(auth, "=")+1:])
	signer := v4.NewStreamSigner(testCreds, "s3", testRegion, seed)
	signed := u.mode != streamingUnsignedTrailer
	var body bytes.Buffer
	prev := hex.EncodeToString(seed)
	for _, c := range append(u.chunks, nil) {
		if signed {
			sig, err := signer.GetSignature(context.Background(), nil, c, signTime)
			if err != nil {
				t.Fatal(err)
			}
			prev = hex.EncodeToString(sig)
			fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n", len(c), prev)
		} else {
			fmt.Fprintf(&body, "%x\r\n", len(c))
		}
		if len(c) > 0 {
			body.Write(c)
			body.WriteString("\r\n")
		}
	}
	if u.trailer != "" {
		value := u.value
		if value == "" {
			value = crc32cB64(payload)
		}
		line := u.trailer + ":" + value
		body.WriteString(line + "\r\n")
		if signed {
			key := signingKey(testSecret, credential{Day: "20260314", Region: testRegion, Service: "s3"})
			sts := "AWS4-HMAC-SHA256-TRAILER\n" + signTime.Format(amzDateFormat) + "\n20260314/" + testRegion +
				"/s3/aws4_request\n" + prev + "\n" + hexSHA256([]byte(line+"\n"))
			body.WriteString("x-amz-trailer-signature:" + hex.EncodeToString(hmacSHA256(key, sts)) + "\r\n")
		}
	}
	body.WriteString("\r\n")
	return serverRequest(req, body.Bytes()), body.Bytes()
}

// serverRequest turns a signed client request into what a handler receives, with body.
func serverRequest(c *http.Request, body []byte) *http.Request {
	r := httptest.NewRequest(c.Method, c.URL.String(), bytes.NewReader(body))
	for k, vs := range c.Header {
		r.Header[k] = vs
	}
	return r
}

// readUpload verifies r and reads its body; it returns the bytes released and the error.
func readUpload(t *testing.T, r *http.Request) (*Body, []byte, error) {
	t.Helper()
	res, err := newVerifier(fixedClock(signTime)).Verify(r)
	if err != nil {
		return nil, nil, err
	}
	b := res.Body(r)
	data, err := io.ReadAll(b)
	return b, data, err
}

func chunk(n int, fill byte) []byte { return bytes.Repeat([]byte{fill}, n) }

// TestChunkedUploads: signed and unsigned aws-chunked bodies decode to the payload, with
// their trailer checksum verified and exposed.
func TestChunkedUploads(t *testing.T) {
	chunks := [][]byte{chunk(64<<10, 'a'), chunk(64<<10, 'b'), chunk(100, 'c')}
	for _, u := range []chunkedUpload{
		{mode: streamingSigned, chunks: chunks},
		{mode: streamingSignedTrailer, chunks: chunks, trailer: "x-amz-checksum-crc32c"},
		{mode: streamingUnsignedTrailer, chunks: chunks, trailer: "x-amz-checksum-crc32c"},
		{mode: streamingUnsignedTrailer, chunks: nil, trailer: "x-amz-checksum-crc32c"},
	} {
		t.Run(u.mode, func(t *testing.T) {
			r, _ := u.build(t)
			b, data, err := readUpload(t, r)
			if err != nil {
				t.Fatal(err)
			}
			want := bytes.Join(u.chunks, nil)
			if !bytes.Equal(data, want) {
				t.Fatalf("decoded %d bytes, want %d", len(data), len(want))
			}
			c, ok := b.Checksum()
			if u.trailer != "" && (!ok || c.Algorithm != "CRC32C" || c.Value != crc32cB64(want) || c.Header() != "x-amz-checksum-crc32c") {
				t.Errorf("checksum to echo: %+v %v", c, ok)
			}
		})
	}
}

// TestChunkedTampering: a changed chunk never reaches the reader, and every other break of
// the encoding is refused with its S3 code.
func TestChunkedTampering(t *testing.T) {
	chunks := [][]byte{chunk(8192, 'a'), chunk(8192, 'b'), chunk(10, 'c')}
	signedUp := chunkedUpload{mode: streamingSigned, chunks: chunks}
	trailerUp := chunkedUpload{mode: streamingSignedTrailer, chunks: chunks, trailer: "x-amz-checksum-crc32c"}
	unsignedUp := chunkedUpload{mode: streamingUnsignedTrailer, chunks: chunks, trailer: "x-amz-checksum-crc32c"}
	edit := func(u chunkedUpload, f func(r *http.Request, body []byte) []byte) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			r, body := u.build(t)
			body = f(r, bytes.Clone(body))
			return serverRequest(r, body)
		}
	}
	flipIn := func(marker byte) func(r *http.Request, body []byte) []byte {
		return func(_ *http.Request, body []byte) []byte {
			body[bytes.Index(body, chunk(100, marker))+50] ^= 1
			return body
		}
	}
	cases := []struct {
		name     string
		req      func(t *testing.T) *http.Request
		want     *Error
		released int // bytes the reader may hand out before the error
	}{
		{"byte changed in chunk 2", edit(signedUp, flipIn('b')), ErrSignatureDoesNotMatch, 8192},
		{"byte changed in chunk 1", edit(signedUp, flipIn('a')), ErrSignatureDoesNotMatch, 0},
		{"chunks swapped with their signatures", edit(signedUp, func(_ *http.Request, b []byte) []byte {
			n := len("2000;chunk-signature=") + 64 + 2 + 8192 + 2 // one whole framed chunk
			return slices.Concat(b[n:2*n], b[:n], b[2*n:])
		}), ErrSignatureDoesNotMatch, 0},
		{"truncated", edit(signedUp, func(_ *http.Request, b []byte) []byte { return b[:len(b)/2] }), ErrIncompleteBody, 8192},
		{"oversized chunk", edit(signedUp, func(_ *http.Request, b []byte) []byte {
			return append([]byte("1000001;chunk-signature="+strings.Repeat("0", 64)+"\r\n"), b...)
		}), ErrInvalidChunkSize, 0},
		{"decoded length overstated", edit(signedUp, func(r *http.Request, b []byte) []byte {
			r.Header.Set("X-Amz-Decoded-Content-Length", "16395")
			return b
		}), ErrSignatureDoesNotMatch, 0}, // the header is signed
		{"garbage after the last chunk", edit(signedUp, func(_ *http.Request, b []byte) []byte { return append(b, "extra"...) }), ErrInvalidRequest, 16394},
		{"trailer value changed", edit(trailerUp, func(_ *http.Request, b []byte) []byte {
			i := bytes.Index(b, []byte("x-amz-checksum-crc32c:")) + len("x-amz-checksum-crc32c:")
			copy(b[i:], crc32cB64([]byte("other")))
			return b
		}), ErrSignatureDoesNotMatch, 16394},
		{"signed trailer with a wrong checksum", func(t *testing.T) *http.Request {
			r, _ := chunkedUpload{mode: streamingSignedTrailer, chunks: chunks, trailer: "x-amz-checksum-crc32c", value: crc32cB64([]byte("x"))}.build(t)
			return r
		}, ErrBadDigest, 16394},
		{"unsigned trailer with a wrong checksum", func(t *testing.T) *http.Request {
			r, _ := chunkedUpload{mode: streamingUnsignedTrailer, chunks: chunks, trailer: "x-amz-checksum-crc32c", value: crc32cB64([]byte("x"))}.build(t)
			return r
		}, ErrBadDigest, 16394},
		{"unannounced trailer", func(t *testing.T) *http.Request {
			r, _ := chunkedUpload{mode: streamingUnsignedTrailer, chunks: chunks, trailer: "x-amz-checksum-crc32c", announce: "x-amz-checksum-sha256"}.build(t)
			return r
		}, ErrMalformedTrailer, 16394},
		{"announced trailer missing", edit(unsignedUp, func(_ *http.Request, b []byte) []byte {
			i := bytes.Index(b, []byte("x-amz-checksum-crc32c:"))
			return append(b[:i], "\r\n"...)
		}), ErrMalformedTrailer, 16394},
		{"unsigned chunk longer than its size", edit(unsignedUp, func(_ *http.Request, b []byte) []byte {
			return bytes.Replace(b, []byte("2000\r\n"), []byte("1fff\r\n"), 1)
		}), ErrInvalidRequest, 8191},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, data, err := readUpload(t, tc.req(t))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %s", err, tc.want.Code)
			}
			if len(data) != tc.released {
				t.Fatalf("released %d bytes before the error, want %d", len(data), tc.released)
			}
		})
	}
}

// TestSignedChunkHeldUntilVerified reads a signed chunk one byte at a time: no byte of a
// chunk whose signature is wrong may come out, even the first.
func TestSignedChunkHeldUntilVerified(t *testing.T) {
	r, body := chunkedUpload{mode: streamingSigned, chunks: [][]byte{chunk(1000, 'a')}}.build(t)
	body[bytes.Index(body, chunk(1000, 'a'))+999] = 'z'
	r = serverRequest(r, body)
	res, err := newVerifier(fixedClock(signTime)).Verify(r)
	if err != nil {
		t.Fatal(err)
	}
	b := res.Body(r)
	n, err := b.Read(make([]byte, 1))
	if n != 0 || !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Fatalf("first read gave %d bytes, err %v", n, err)
	}
}
