//go:build unix

package folder_test

import "syscall"

// mkfifo makes a named pipe, which the scanner must skip without blocking on it.
func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }
