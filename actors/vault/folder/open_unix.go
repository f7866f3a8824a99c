//go:build unix

package folder

import (
	"os"
	"syscall"
)

// openFile opens a file for reading without following a symlink or blocking on a FIFO that
// replaced it since it was listed.
func openFile(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}
