package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxFrame is a sensible ReadFrame limit for control messages: 1 MiB.
const DefaultMaxFrame = 1 << 20

// ErrFrameTooLarge is wrapped by ReadFrame when a frame's length prefix exceeds the limit.
var ErrFrameTooLarge = errors.New("wire: frame too large")

// ErrBadLength is wrapped by ReadFrame when the length prefix is not a valid uvarint.
var ErrBadLength = errors.New("wire: bad frame length")

// coalesce is the largest payload WriteFrame copies behind its prefix to write both in one
// call; larger payloads go in a second Write rather than being copied.
const coalesce = 4 << 10

// WriteFrame writes b as one frame: its length as a uvarint, then b.
func WriteFrame(w io.Writer, b []byte) error {
	var hdr [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(b)))
	if len(b) <= coalesce {
		buf := make([]byte, 0, n+len(b))
		buf = append(append(buf, hdr[:n]...), b...)
		if _, err := w.Write(buf); err != nil {
			return fmt.Errorf("wire: write frame: %w", err)
		}
		return nil
	}
	if _, err := w.Write(hdr[:n]); err != nil {
		return fmt.Errorf("wire: write frame: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("wire: write frame: %w", err)
	}
	return nil
}

// ReadFrame reads one frame of at most max bytes. At a clean end of stream (no byte of a new
// frame read) it returns io.EOF; a stream ending inside a frame gives io.ErrUnexpectedEOF. A
// length above max is refused with ErrFrameTooLarge before anything of the body is read. When r
// is an io.ByteReader (bufio.Reader) the prefix is read from it byte by byte; otherwise with
// one-byte reads, so wrap a raw stream in a bufio.Reader when reading many frames.
func ReadFrame(r io.Reader, max int) ([]byte, error) {
	if max < 0 {
		return nil, fmt.Errorf("wire: read frame: negative limit %d", max)
	}
	n, err := readUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > uint64(max) {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrFrameTooLarge, n, max)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("wire: read frame body (%d bytes): %w", n, err)
	}
	return b, nil
}

// readUvarint reads a frame's length prefix: io.EOF when the stream ends before its first byte.
func readUvarint(r io.Reader) (uint64, error) {
	br, ok := r.(io.ByteReader)
	if !ok {
		br = &oneByteReader{r: r}
	}
	var x uint64
	var s uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		c, err := br.ReadByte()
		if err != nil {
			if i == 0 && errors.Is(err, io.EOF) {
				return 0, io.EOF
			}
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, fmt.Errorf("wire: read frame length: %w", err)
		}
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, fmt.Errorf("%w: overflows 64 bits", ErrBadLength)
			}
			return x | uint64(c)<<s, nil
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	return 0, fmt.Errorf("%w: overflows 64 bits", ErrBadLength)
}

// oneByteReader reads single bytes from a reader that is not an io.ByteReader.
type oneByteReader struct {
	r   io.Reader
	buf [1]byte
}

func (o *oneByteReader) ReadByte() (byte, error) {
	for {
		n, err := o.r.Read(o.buf[:])
		if n == 1 {
			return o.buf[0], nil
		}
		if err != nil {
			return 0, err
		}
	}
}
