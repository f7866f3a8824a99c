package wire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestFrameRoundTrip(t *testing.T) {
	payloads := [][]byte{{}, []byte("x"), bytes.Repeat([]byte("ab"), 100), bytes.Repeat([]byte{7}, coalesce), bytes.Repeat([]byte{9}, coalesce+1), bytes.Repeat([]byte{1}, 300_000)}
	var buf bytes.Buffer
	for _, p := range payloads {
		if err := WriteFrame(&buf, p); err != nil {
			t.Fatal(err)
		}
	}
	for name, r := range map[string]io.Reader{
		"bytes.Reader (ByteReader)": bytes.NewReader(buf.Bytes()),
		"one byte at a time":        iotest.OneByteReader(bytes.NewReader(buf.Bytes())),
		"bufio":                     bufio.NewReader(iotest.HalfReader(bytes.NewReader(buf.Bytes()))),
	} {
		for i, want := range payloads {
			got, err := ReadFrame(r, 1<<20)
			if err != nil {
				t.Fatalf("%s: frame %d: %v", name, i, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: frame %d: got %d bytes, want %d", name, i, len(got), len(want))
			}
		}
		if _, err := ReadFrame(r, 1<<20); err != io.EOF {
			t.Fatalf("%s: after the last frame: %v, want io.EOF", name, err)
		}
	}
}

func TestFrameLengthPrefix(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFrame(&buf, bytes.Repeat([]byte{0}, 300)); err != nil {
		t.Fatal(err)
	}
	if got := buf.Bytes()[:2]; !bytes.Equal(got, []byte{0xac, 0x02}) {
		t.Fatalf("prefix of a 300-byte frame = % x, want ac 02 (uvarint)", got)
	}
}

func TestReadFrameRefusesTooLarge(t *testing.T) {
	var buf bytes.Buffer
	_ = WriteFrame(&buf, make([]byte, 101))
	r := &countingReader{r: bytes.NewReader(buf.Bytes())}
	_, err := ReadFrame(r, 100)
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("err = %v, want ErrFrameTooLarge", err)
	}
	if !strings.Contains(err.Error(), "101") || !strings.Contains(err.Error(), "100") {
		t.Errorf("error %q should name the size and the limit", err)
	}
	if r.n > 2 {
		t.Errorf("read %d bytes, want only the prefix read before refusing", r.n)
	}
	// A huge prefix (2^63) is refused without allocating.
	huge := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
	if _, err := ReadFrame(bytes.NewReader(huge), DefaultMaxFrame); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("huge prefix: %v, want ErrFrameTooLarge", err)
	}
}

func TestReadFrameErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		in   []byte
		want error
	}{
		"empty stream":         {nil, io.EOF},
		"prefix cut":           {[]byte{0x80}, io.ErrUnexpectedEOF},
		"body cut":             {[]byte{5, 'a', 'b'}, io.ErrUnexpectedEOF},
		"prefix overflows":     {[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, ErrBadLength},
		"prefix over 10 bytes": {bytes.Repeat([]byte{0x80}, 11), ErrBadLength},
	} {
		_, err := ReadFrame(bytes.NewReader(tc.in), DefaultMaxFrame)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
	}
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader([]byte{5, 'a'}), iotest.ErrReader(boom))
	if _, err := ReadFrame(r, 10); !errors.Is(err, boom) {
		t.Errorf("reader error mid body: %v, want boom", err)
	}
	if _, err := ReadFrame(bytes.NewReader([]byte{0}), -1); err == nil {
		t.Error("negative limit accepted")
	}
}

func TestWriteFrameError(t *testing.T) {
	for _, n := range []int{10, coalesce + 10} {
		w := &failWriter{after: 0}
		if err := WriteFrame(w, make([]byte, n)); err == nil {
			t.Errorf("%d bytes: no error from a failing writer", n)
		}
		w = &failWriter{after: 1}
		if err := WriteFrame(w, make([]byte, n)); (err != nil) != (n > coalesce) {
			t.Errorf("%d bytes, writer failing on the 2nd write: err = %v", n, err)
		}
	}
}

func TestProtocols(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Protocols() {
		if !strings.HasPrefix(p, "/meshhold/") || !strings.HasSuffix(p, "/1.0") || seen[p] {
			t.Errorf("protocol id %q: want a unique /meshhold/<name>/1.0", p)
		}
		seen[p] = true
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

type failWriter struct{ after, writes int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.writes >= f.after {
		return 0, errors.New("write failed")
	}
	f.writes++
	return len(p), nil
}
