package files

import (
	"io"
	"net/http"
)

// serveWriter holds a 200/206 status back until the first body byte is in hand, so a block
// that cannot be read at the very start becomes the caller's error response instead of a
// truncated success; and it copies the body from Reader's blocks without a 32 KiB bounce
// buffer (http.ServeContent hands its io.LimitedReader to ReadFrom).
type serveWriter struct {
	http.ResponseWriter
	rd      *Reader
	pending int  // held status, 0 when none
	sent    bool // the status line went out
	err     error
}

// WriteHeader holds 200 and 206 back; other statuses (304, 412, 416) go out at once.
func (s *serveWriter) WriteHeader(code int) {
	if (code == http.StatusOK || code == http.StatusPartialContent) && !s.sent {
		s.pending = code
		return
	}
	s.sent = true
	s.ResponseWriter.WriteHeader(code)
}

// commit sends a held status.
func (s *serveWriter) commit() {
	if s.pending != 0 && !s.sent {
		s.sent = true
		s.ResponseWriter.WriteHeader(s.pending)
		s.pending = 0
	}
}

func (s *serveWriter) Write(p []byte) (int, error) {
	s.commit()
	return s.ResponseWriter.Write(p)
}

// ReadFrom copies the body: from the Reader's own blocks when src is the Reader, else (the
// multipart pipe) through a buffer whose first fill — up to 256 KiB — is in hand before the
// status goes out, so a failing block early in any part is still a clean error.
func (s *serveWriter) ReadFrom(src io.Reader) (int64, error) {
	if lr, ok := src.(*io.LimitedReader); ok && lr.R == s.rd {
		n, err := s.copyReader(lr.N)
		lr.N -= n
		return n, err
	}
	buf := make([]byte, 256<<10)
	var total int64
	for {
		n, rerr := io.ReadFull(src, buf)
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			if !s.sent {
				s.err = rerr
				return total, rerr
			}
			s.err = rerr
		}
		if n > 0 {
			s.commit()
			m, werr := s.ResponseWriter.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if s.err != nil {
			return total, s.err
		}
		if rerr != nil { // EOF: all sent
			s.commit()
			return total, nil
		}
	}
}

// copyReader loads the first block before committing the status, then streams n bytes.
func (s *serveWriter) copyReader(n int64) (int64, error) {
	rd := s.rd
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if n > 0 && rd.pos < rd.Size() {
		if _, err := rd.at(rd.pos); err != nil {
			s.err = err
			return 0, err
		}
	}
	s.commit()
	tw := &trackWriter{w: s.ResponseWriter}
	written, err := rd.copyN(tw, n)
	if err != nil && tw.err == nil {
		s.err = err // a read failure; a client that went away is not ours to report
	}
	return written, err
}

// trackWriter remembers a write error, to tell a broken client from a broken block.
type trackWriter struct {
	w   io.Writer
	err error
}

func (t *trackWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if err != nil {
		t.err = err
	}
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *serveWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
