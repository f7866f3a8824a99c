package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReadFrame: ReadFrame never panics nor returns more than max bytes, and a frame it reads
// writes back to bytes that read as the same frame.
func FuzzReadFrame(f *testing.F) {
	for _, p := range [][]byte{nil, []byte("hello"), bytes.Repeat([]byte{1}, 200)} {
		var buf bytes.Buffer
		_ = WriteFrame(&buf, p)
		f.Add(buf.Bytes(), 256)
	}
	f.Add([]byte{0x80, 0x00}, 16)                      // non-minimal zero
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff}, 1<<20) // cut prefix
	f.Add(bytes.Repeat([]byte{0xff}, 12), 1<<20)       // overflow
	f.Add([]byte{10, 1, 2, 3}, 5)                      // over the limit
	f.Fuzz(func(t *testing.T, data []byte, max int) {
		if max > 1<<20 {
			max = 1 << 20
		}
		r := bytes.NewReader(data)
		got, err := ReadFrame(r, max)
		if err != nil {
			if got != nil {
				t.Fatalf("error %v with %d bytes", err, len(got))
			}
			if len(data) == 0 && max >= 0 && err != io.EOF {
				t.Fatalf("empty input: %v, want io.EOF", err)
			}
			return
		}
		if len(got) > max {
			t.Fatalf("read %d bytes over the limit %d", len(got), max)
		}
		var buf bytes.Buffer
		if err := WriteFrame(&buf, got); err != nil {
			t.Fatal(err)
		}
		again, err := ReadFrame(&buf, max)
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("re-read: %v, equal %v", err, bytes.Equal(again, got))
		}
		if _, err := ReadFrame(&buf, max); !errors.Is(err, io.EOF) {
			t.Fatalf("re-written frame has trailing bytes: %v", err)
		}
	})
}
