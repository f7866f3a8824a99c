package sigv4

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"net/http"
	"strings"
)

// crc64NVME is the reflected CRC-64/NVME polynomial, in the form hash/crc64 takes.
const crc64NVME = 0x9a6c9329ac4bc9b5

var (
	castagnoli   = crc32.MakeTable(crc32.Castagnoli)
	crc64NVMETab = crc64.MakeTable(crc64NVME)
)

// checksumAlgorithms maps the x-amz-sdk-checksum-algorithm names to their hashes.
var checksumAlgorithms = map[string]func() hash.Hash{
	"CRC32":     func() hash.Hash { return crc32.NewIEEE() },
	"CRC32C":    func() hash.Hash { return crc32.New(castagnoli) },
	"CRC64NVME": func() hash.Hash { return crc64.New(crc64NVMETab) },
	"SHA1":      sha1.New,
	"SHA256":    sha256.New,
}

// Checksum is an x-amz-checksum-* value: the algorithm name ("CRC32") and the base64 digest.
type Checksum struct {
	Algorithm string
	Value     string
}

// Header is the response header that echoes the checksum, e.g. "x-amz-checksum-crc32".
func (c Checksum) Header() string { return "x-amz-checksum-" + strings.ToLower(c.Algorithm) }

// checksumSpec is the checksum a request asks us to verify.
type checksumSpec struct {
	Algorithm string // "" when the request names none
	Want      []byte // the digest from the header; nil when it comes in the trailer
	Trailer   bool   // the value arrives in the aws-chunked trailer
}

// algorithmOfHeader maps "x-amz-checksum-crc32" to "CRC32"; false for other names.
func algorithmOfHeader(name string) (string, bool) {
	alg, ok := strings.CutPrefix(strings.ToLower(name), "x-amz-checksum-")
	if !ok {
		return "", false
	}
	alg = strings.ToUpper(alg)
	_, known := checksumAlgorithms[alg]
	return alg, known
}

// decodeDigest decodes a base64 checksum value and checks its length for the algorithm.
func decodeDigest(alg, value string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
	if err != nil || len(b) != checksumAlgorithms[alg]().Size() {
		return nil, newError(ErrInvalidRequest, "value for x-amz-checksum-%s header is invalid", strings.ToLower(alg))
	}
	return b, nil
}

// prepareBody reads what the body must be checked against: checksum headers or announced
// trailers, Content-MD5 and the decoded length; malformed values are refused before any body
// is read.
func (v *Verifier) prepareBody(r *http.Request, res *Result) error {
	var spec checksumSpec
	for name, values := range r.Header {
		alg, ok := algorithmOfHeader(name)
		if !ok {
			continue
		}
		if spec.Algorithm != "" || len(values) > 1 {
			return newError(ErrInvalidRequest, "expecting a single x-amz-checksum- header; multiple checksum types are not allowed")
		}
		want, err := decodeDigest(alg, values[0])
		if err != nil {
			return err
		}
		spec = checksumSpec{Algorithm: alg, Want: want}
	}
	for _, line := range r.Header.Values("X-Amz-Trailer") {
		for _, name := range strings.Split(line, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			alg, ok := algorithmOfHeader(name)
			switch {
			case !res.Mode.trailer():
				return newError(ErrInvalidRequest, "x-amz-trailer %q needs a STREAMING-*-TRAILER x-amz-content-sha256", name)
			case !ok:
				return newError(ErrInvalidRequest, "the trailer %q is not supported; only x-amz-checksum-* trailers are", name)
			case spec.Algorithm != "":
				return newError(ErrInvalidRequest, "expecting a single x-amz-checksum- header or trailer; multiple checksum types are not allowed")
			}
			spec = checksumSpec{Algorithm: alg, Trailer: true}
			res.trailers = append(res.trailers, name)
		}
	}
	if sdk := r.Header.Get("X-Amz-Sdk-Checksum-Algorithm"); sdk != "" {
		alg := strings.ToUpper(sdk)
		switch {
		case checksumAlgorithms[alg] == nil:
			return newError(ErrInvalidRequest, "value for x-amz-sdk-checksum-algorithm header is invalid")
		case spec.Algorithm == "":
			return newError(ErrInvalidRequest, "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found")
		case spec.Algorithm != alg:
			return newError(ErrInvalidRequest, "value for x-amz-sdk-checksum-algorithm header is invalid: the checksum sent is %s", spec.Algorithm)
		}
	}
	res.checksum = spec
	if v := r.Header.Get("Content-Md5"); v != "" {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(b) != md5.Size {
			return newError(ErrInvalidDigest, "the Content-MD5 you specified is not valid")
		}
		res.md5 = b
	}
	if res.Mode.Chunked() {
		n, err := parseDecodedLength(r)
		if err != nil {
			return err
		}
		res.DecodedLength = n
	} else {
		res.DecodedLength = r.ContentLength
	}
	return nil
}
