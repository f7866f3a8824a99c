package hello

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// A frame is a uvarint byte count followed by that many bytes of JSON. (p2p/wire will own the
// mesh's framing; this local copy keeps the package free of it until then.)

// errTooLarge refuses a frame longer than the reader allows.
var errTooLarge = errors.New("hello: frame too large")

// writeFrame writes payload as one frame, in one Write.
func writeFrame(w io.Writer, payload []byte) error {
	buf := make([]byte, 0, binary.MaxVarintLen64+len(payload))
	buf = binary.AppendUvarint(buf, uint64(len(payload)))
	_, err := w.Write(append(buf, payload...))
	return err
}

// readFrame reads one frame of at most max bytes. It reads the length a byte at a time, so it
// never consumes bytes past the frame.
func readFrame(r io.Reader, max int) ([]byte, error) {
	var one [1]byte
	var n uint64
	for shift := 0; ; shift += 7 {
		if shift > 63 {
			return nil, errors.New("hello: bad frame length")
		}
		if _, err := io.ReadFull(r, one[:]); err != nil {
			return nil, err
		}
		n |= uint64(one[0]&0x7f) << shift
		if one[0] < 0x80 {
			break
		}
	}
	if n > uint64(max) {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", errTooLarge, n, max)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("hello: short frame: %w", err)
	}
	return buf, nil
}
