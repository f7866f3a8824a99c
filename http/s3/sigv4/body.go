package sigv4

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strings"
)

// Body is a request body checked against what its signature and headers promised. Its Read
// returns the object bytes (aws-chunked framing removed); at the end it returns io.EOF only if
// every check passed, else an *Error (XAmzContentSHA256Mismatch, BadDigest, IncompleteBody,
// SignatureDoesNotMatch …) — so a caller must treat any error, even after the last bytes, as
// "do not commit". Memory is bounded by one chunk (MaxChunkSize).
type Body struct {
	res      *Result
	src      io.Reader
	chunks   *chunkReader // nil unless aws-chunked
	sha      hash.Hash    // for PayloadSHA256
	sum      hash.Hash    // the x-amz-checksum-* algorithm
	md5      hash.Hash    // when Content-MD5 was sent
	n        int64
	err      error
	checksum Checksum
}

// Body wraps r.Body for reading; call it once per request, after Verify.
func (res *Result) Body(r *http.Request) *Body {
	var raw io.Reader = http.NoBody
	if r.Body != nil {
		raw = r.Body
	}
	b := &Body{res: res, src: raw}
	if res.Mode.Chunked() {
		b.chunks = newChunkReader(raw, res)
		b.src = b.chunks
	}
	if res.Mode == PayloadSHA256 {
		b.sha = sha256.New()
	}
	if alg := res.checksum.Algorithm; alg != "" {
		b.sum = checksumAlgorithms[alg]()
	}
	if res.md5 != nil {
		b.md5 = md5.New()
	}
	return b
}

// Read implements io.Reader; see Body.
func (b *Body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.src.Read(p)
	if n > 0 {
		b.n += int64(n)
		for _, h := range []hash.Hash{b.sha, b.sum, b.md5} {
			if h != nil {
				h.Write(p[:n])
			}
		}
		if b.res.Mode.Chunked() && b.res.DecodedLength >= 0 && b.n > b.res.DecodedLength {
			err = newError(ErrInvalidRequest, "the aws-chunked body holds more than x-amz-decoded-content-length = %d bytes", b.res.DecodedLength)
		}
	}
	switch {
	case err == nil:
		return n, nil
	case errors.Is(err, io.EOF):
		if ferr := b.finish(); ferr != nil {
			err = ferr
		}
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = newError(ErrIncompleteBody, "you did not provide the number of bytes specified by the Content-Length HTTP header")
	}
	b.err = err
	return n, err
}

// Checksum is the checksum the request named (header or trailer), computed over the body and
// verified; ok is false before EOF or when the request named none. Echo it in the response.
func (b *Body) Checksum() (c Checksum, ok bool) {
	return b.checksum, b.checksum.Algorithm != "" && errors.Is(b.err, io.EOF)
}

// finish runs the end-of-body checks: length, signed hash, checksum, Content-MD5.
func (b *Body) finish() error {
	if b.res.Mode.Chunked() && b.res.DecodedLength >= 0 && b.n != b.res.DecodedLength {
		return newError(ErrIncompleteBody, "the aws-chunked body holds %d bytes, x-amz-decoded-content-length says %d", b.n, b.res.DecodedLength)
	}
	if b.sha != nil && hex.EncodeToString(b.sha.Sum(nil)) != b.res.ContentSHA256 {
		return newError(ErrContentSHA256Mismatch, "the provided x-amz-content-sha256 header does not match what was computed")
	}
	if b.sum != nil {
		spec := b.res.checksum
		got := b.sum.Sum(nil)
		want := spec.Want
		if spec.Trailer {
			name := "x-amz-checksum-" + strings.ToLower(spec.Algorithm)
			var err error
			if want, err = decodeDigest(spec.Algorithm, b.chunks.trailers[name]); err != nil {
				return asCode(err, ErrMalformedTrailer)
			}
		}
		if !bytes.Equal(got, want) {
			return newError(ErrBadDigest, "the %s you specified did not match the calculated checksum", spec.Algorithm)
		}
		b.checksum = Checksum{Algorithm: spec.Algorithm, Value: base64.StdEncoding.EncodeToString(got)}
	}
	if b.md5 != nil && !bytes.Equal(b.md5.Sum(nil), b.res.md5) {
		return newError(ErrBadDigest, "the Content-MD5 you specified did not match what we received")
	}
	return nil
}
