package files

import (
	"errors"
	"fmt"
)

// MaxUploadSize is the largest body one upload may carry (50 GiB).
const MaxUploadSize int64 = 50 << 30

// ErrTooLarge matches every *TooLargeError.
var ErrTooLarge = errors.New("files: upload larger than allowed")

// TooLargeError is an upload cut because more than Limit bytes arrived: nothing was
// committed and its blocks were released. The caller answers 507 (quota) or 413 (size cap).
type TooLargeError struct {
	Limit int64 // bytes allowed
	Read  int64 // bytes read when the upload was cut (> Limit; the body may hold more)
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("files: upload cut after %d bytes: at most %d allowed", e.Read, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) hold.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// ErrAborted wraps a failure after a response began: the client got a short body (the
// connection is closed, since Content-Length promised more) and no error status can be sent.
var ErrAborted = errors.New("files: response aborted mid-body")
