package wire

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes v, encoded as JSON, as one frame: for small control messages (hello,
// requests, acknowledgements), never for bulk bytes.
func WriteJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("wire: encode %T: %w", v, err)
	}
	return WriteFrame(w, b)
}

// ReadJSON reads one frame of at most max bytes and decodes it into v. Unknown fields are
// ignored, so a newer peer may add some. At a clean end of stream it returns io.EOF.
func ReadJSON(r io.Reader, max int, v any) error {
	b, err := ReadFrame(r, max)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("wire: decode %T: %w", v, err)
	}
	return nil
}
