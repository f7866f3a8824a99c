package stream_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// frame is one SSE message as a client parses it.
type frame struct {
	id      string
	hasID   bool
	event   string
	data    string
	comment string
}

// sse is a client reading a stream line by line on its own goroutine.
type sse struct {
	t      testing.TB
	resp   *http.Response
	frames chan frame
	ended  chan struct{} // closed when the body ends (EOF or error)
}

// open requests the stream at url with the extra headers, requires a 200 SSE answer and reads
// it on a goroutine.
func open(t testing.TB, client *http.Client, url string, hdr http.Header) *sse {
	t.Helper()
	s := &sse{t: t, resp: request(t, client, url, hdr), frames: make(chan frame, 1<<16), ended: make(chan struct{})}
	go s.read()
	return s
}

// request requests the stream and requires a 200 SSE answer; it reads nothing of the body.
func request(t testing.TB, client *http.Client, url string, hdr http.Header) *http.Response {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range hdr {
		req.Header[k] = v
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return resp
}

func (s *sse) read() {
	defer close(s.ended)
	sc := bufio.NewScanner(s.resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var f frame
	for sc.Scan() {
		line := sc.Text()
		field, value, _ := strings.Cut(line, ": ")
		switch field {
		case "":
			if line == "" {
				s.frames <- f
				f = frame{}
			} else {
				f.comment = strings.TrimPrefix(line, ": ")
			}
		case "id":
			f.id, f.hasID = value, true
		case "event":
			f.event = value
		case "data":
			f.data = value
		}
	}
}

// next returns the next frame, comments included, failing the test after d.
func (s *sse) next(d time.Duration) frame {
	s.t.Helper()
	select {
	case f := <-s.frames:
		return f
	case <-time.After(d):
		s.t.Fatalf("no frame within %v", d)
	}
	return frame{}
}

// event returns the next frame that is not a comment.
func (s *sse) event(d time.Duration) frame {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for {
		f := s.next(time.Until(deadline))
		if f.comment == "" {
			return f
		}
	}
}

// waitEnd requires the stream to end within d.
func (s *sse) waitEnd(d time.Duration) {
	s.t.Helper()
	select {
	case <-s.ended:
	case <-time.After(d):
		s.t.Fatalf("stream still open after %v", d)
	}
}

// ioReadFull reads len(buf) bytes of the response body, failing after d.
func ioReadFull(resp *http.Response, buf []byte, d time.Duration) (int, error) {
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() { n, err := io.ReadFull(resp.Body, buf); done <- result{n, err} }()
	select {
	case r := <-done:
		return r.n, r.err
	case <-time.After(d):
		return 0, fmt.Errorf("nothing after %v", d)
	}
}
