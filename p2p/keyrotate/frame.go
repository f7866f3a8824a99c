package keyrotate

import (
	"errors"
	"fmt"
	"io"

	"github.com/meshhold/meshhold/p2p/wire"
)

// MaxFrame is the largest frame body, in bytes.
const MaxFrame = 4 << 10

// writeFrame writes b as one p2p/wire frame, refusing one over MaxFrame.
func writeFrame(w io.Writer, b []byte) error {
	if len(b) > MaxFrame {
		return fmt.Errorf("frame of %d bytes, at most %d", len(b), MaxFrame)
	}
	return wire.WriteFrame(w, b)
}

// readFrame reads one p2p/wire frame of at most MaxFrame bytes; a stream that ends before it
// is io.ErrUnexpectedEOF.
func readFrame(r io.Reader) ([]byte, error) {
	b, err := wire.ReadFrame(r, MaxFrame)
	if errors.Is(err, io.EOF) {
		return nil, io.ErrUnexpectedEOF
	}
	return b, err
}
