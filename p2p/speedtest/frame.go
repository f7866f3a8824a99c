package speedtest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/meshhold/meshhold/p2p/wire"
)

// Frames are p2p/wire's: a uvarint byte count, then the bytes.

func writeFrame(w io.Writer, payload []byte) error { return wire.WriteFrame(w, payload) }

func readFrame(r *bufio.Reader, max int) ([]byte, error) { return wire.ReadFrame(r, max) }

// readLen reads only a frame's length, refusing one past max: the bulk phase counts and skips
// the bodies through the bufio.Reader instead of allocating them.
func readLen(r *bufio.Reader, max int) (int, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, err
	}
	if n > uint64(max) {
		return 0, fmt.Errorf("speedtest: a %d byte frame, the limit is %d", n, max)
	}
	return int(n), nil
}

// writeJSON and readJSON move one control message as a frame.
func writeJSON(w io.Writer, v any) error { return wire.WriteJSON(w, v) }

func readJSON(r *bufio.Reader, v any) error { return wire.ReadJSON(r, maxControl, v) }
