//go:build !unix

package folder_test

// mkfifo is a no-op where named pipes are not files.
func mkfifo(string) error { return nil }
