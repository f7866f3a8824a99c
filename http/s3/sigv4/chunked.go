package sigv4

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"strings"
)

// MaxChunkSize bounds one aws-chunked chunk: a signed chunk is held whole until its signature
// checks, so this is the memory one upload may pin. Clients send 64 KiB to 8 MiB chunks.
const MaxChunkSize = 16 << 20

const (
	maxLineLen    = 4096 // a chunk header or trailer line
	maxTrailers   = 16   // trailer lines in one body
	emptySHA256   = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	chunkSigPart  = ";chunk-signature="
	trailerSigKey = "x-amz-trailer-signature"
)

// chunkReader decodes an aws-chunked body. With signed chunks it reads a whole chunk, checks
// its signature (chained from the previous one, the first from the request signature) and
// only then releases its bytes; unsigned chunks stream through. After the last chunk it reads
// the trailers (checking the trailer signature when signed); io.EOF means all of it checked.
type chunkReader struct {
	br       *bufio.Reader
	res      *Result
	prev     string            // previous signature in the chain
	buf      []byte            // the current signed chunk
	pending  []byte            // verified bytes not yet returned
	left     int64             // unsigned bytes of the current chunk not yet returned
	trailers map[string]string // trailer values by lower-case name
	done     bool
	err      error
}

func newChunkReader(body io.Reader, res *Result) *chunkReader {
	return &chunkReader{br: bufio.NewReaderSize(body, 64<<10), res: res, prev: res.seed}
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for {
		if c.err != nil {
			return 0, c.err
		}
		if len(c.pending) > 0 {
			n := copy(p, c.pending)
			c.pending = c.pending[n:]
			return n, nil
		}
		if c.left > 0 {
			return c.readUnsigned(p)
		}
		if c.done {
			return 0, io.EOF
		}
		if err := c.nextChunk(); err != nil {
			c.err = err
		}
	}
}

// readUnsigned streams bytes of an unsigned chunk, then consumes its closing CRLF.
func (c *chunkReader) readUnsigned(p []byte) (int, error) {
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.br.Read(p)
	c.left -= int64(n)
	if err != nil && (n == 0 || !errors.Is(err, io.EOF)) {
		c.err = incomplete(err)
		return n, c.err
	}
	if c.left == 0 {
		if err := c.expectCRLF(); err != nil {
			c.err = err
		}
	}
	return n, nil
}

// nextChunk reads one chunk header; a signed chunk is read and verified whole.
func (c *chunkReader) nextChunk() error {
	line, err := c.readLine()
	if err != nil {
		return err
	}
	sizeHex, ext, _ := strings.Cut(line, ";")
	size, perr := strconv.ParseInt(sizeHex, 16, 64)
	switch {
	case perr != nil || size < 0:
		return newError(ErrInvalidRequest, "malformed aws-chunked chunk header %q", truncate(line))
	case size > MaxChunkSize:
		return newError(ErrInvalidChunkSize, "a chunk of %d bytes is larger than the %d allowed", size, MaxChunkSize)
	}
	var sig string
	if c.res.Mode.signedChunks() {
		var ok bool
		if sig, ok = strings.CutPrefix(";"+ext, chunkSigPart); !ok || !isLowerHex(sig, 64) {
			return newError(ErrInvalidRequest, "the aws-chunked chunk header %q has no chunk-signature", truncate(line))
		}
	}
	if size == 0 {
		if sig != "" {
			if err := c.verifyChunk(sig, nil); err != nil {
				return err
			}
		}
		if c.res.Mode.trailer() {
			if err := c.readTrailers(); err != nil {
				return err
			}
		}
		c.done = true
		return c.expectEnd()
	}
	if sig == "" {
		c.left = size
		return nil
	}
	if int64(cap(c.buf)) < size {
		c.buf = make([]byte, size)
	}
	data := c.buf[:size]
	if _, err := io.ReadFull(c.br, data); err != nil {
		return incomplete(err)
	}
	if err := c.expectCRLF(); err != nil {
		return err
	}
	if err := c.verifyChunk(sig, data); err != nil {
		return err
	}
	c.pending = data
	return nil
}

// verifyChunk checks one chunk signature and advances the chain.
func (c *chunkReader) verifyChunk(sig string, data []byte) error {
	sum := sha256.Sum256(data)
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.res.amzDate + "\n" + c.res.scope + "\n" + c.prev + "\n" +
		emptySHA256 + "\n" + hex.EncodeToString(sum[:])
	if !signatureEqual(hmacSHA256(c.res.key, sts), sig) {
		e := newError(ErrSignatureDoesNotMatch, "the chunk signature we calculated does not match the chunk-signature you provided")
		e.StringToSign = sts
		return e
	}
	c.prev = sig
	return nil
}

// readTrailers reads "name:value" lines up to the blank line (unsigned) or the
// x-amz-trailer-signature line (signed), and checks every announced trailer came once.
func (c *chunkReader) readTrailers() error {
	signed := c.res.Mode.signedChunks()
	c.trailers = map[string]string{}
	var canonical strings.Builder
	for lines := 0; ; lines++ {
		if lines > maxTrailers {
			return newError(ErrMalformedTrailer, "too many trailer lines")
		}
		line, err := c.readLine()
		if err != nil {
			return asCode(err, ErrMalformedTrailer)
		}
		if line == "" {
			if signed {
				continue // minio-go writes a blank line before the signature
			}
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return newError(ErrMalformedTrailer, "the trailer line %q is not name:value", truncate(line))
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if signed && name == trailerSigKey {
			value = strings.TrimSpace(value)
			sts := "AWS4-HMAC-SHA256-TRAILER\n" + c.res.amzDate + "\n" + c.res.scope + "\n" + c.prev + "\n" +
				hexSHA256([]byte(canonical.String()))
			if !isLowerHex(value, 64) || !signatureEqual(hmacSHA256(c.res.key, sts), value) {
				e := newError(ErrSignatureDoesNotMatch, "the trailer signature we calculated does not match the x-amz-trailer-signature you provided")
				e.StringToSign = sts
				return e
			}
			c.prev = value
			break
		}
		if !announced(c.res.trailers, name) {
			return newError(ErrMalformedTrailer, "the trailer %q was not announced in x-amz-trailer", name)
		}
		if _, dup := c.trailers[name]; dup {
			return newError(ErrMalformedTrailer, "the trailer %q came twice", name)
		}
		c.trailers[name] = strings.TrimSpace(value)
		canonical.WriteString(name + ":" + value + "\n")
	}
	for _, name := range c.res.trailers {
		if _, ok := c.trailers[name]; !ok {
			return newError(ErrMalformedTrailer, "the announced trailer %q is missing", name)
		}
	}
	return nil
}

// expectEnd accepts only blank-line bytes (CR, LF) after the last chunk or trailer, then EOF.
func (c *chunkReader) expectEnd() error {
	tail, err := io.ReadAll(io.LimitReader(c.br, 8))
	if err != nil {
		return incomplete(err)
	}
	if len(bytes.Trim(tail, "\r\n")) > 0 || len(tail) == 8 {
		return newError(ErrInvalidRequest, "unexpected data after the last aws-chunked chunk")
	}
	return nil
}

// expectCRLF consumes the CRLF that closes a chunk's data.
func (c *chunkReader) expectCRLF() error {
	var crlf [2]byte
	if _, err := io.ReadFull(c.br, crlf[:]); err != nil {
		return incomplete(err)
	}
	if crlf != [2]byte{'\r', '\n'} {
		return newError(ErrInvalidRequest, "an aws-chunked chunk is longer than its size says")
	}
	return nil
}

// readLine reads one line of at most maxLineLen bytes, without its "\n" or "\r\n".
func (c *chunkReader) readLine() (string, error) {
	line, err := c.br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull) || len(line) > maxLineLen:
		return "", newError(ErrInvalidRequest, "an aws-chunked header line is longer than %d bytes", maxLineLen)
	case err != nil:
		return "", incomplete(err)
	}
	line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
	return string(line), nil
}

func announced(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// incomplete turns a short read of the body into IncompleteBody; other errors pass through.
func incomplete(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return newError(ErrIncompleteBody, "the request body ended before the aws-chunked encoding did")
	}
	return err
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
