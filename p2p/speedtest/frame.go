package speedtest

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
)

// A frame is a uvarint byte count followed by that many bytes, as p2p/wire writes them; this
// copy reads through the bufio.Reader the bulk phase needs, which wire.ReadFrame does not take.

// writeFrame writes payload as one frame, in one Write.
func writeFrame(w io.Writer, payload []byte) error {
	buf := make([]byte, 0, binary.MaxVarintLen64+len(payload))
	buf = binary.AppendUvarint(buf, uint64(len(payload)))
	_, err := w.Write(append(buf, payload...))
	return err
}

// readLen reads a frame's length, refusing one past max.
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

// readFrame reads one frame of at most max bytes.
func readFrame(r *bufio.Reader, max int) ([]byte, error) {
	n, err := readLen(r, max)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("speedtest: short frame: %w", err)
	}
	return buf, nil
}

// writeJSON and readJSON move one control message as a frame.
func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeFrame(w, b)
}

func readJSON(r *bufio.Reader, v any) error {
	b, err := readFrame(r, maxControl)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
