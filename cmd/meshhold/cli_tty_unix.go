//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// canHideInput: this system can turn the terminal's echo off.
const canHideInput = true

// isTerminal reports whether fd is a terminal.
func isTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	return err == nil
}

// readHidden reads one line from the terminal fd with echo off, restoring the terminal after,
// also when interrupted.
func readHidden(fd int) (string, error) {
	old, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return "", err
	}
	t := *old
	t.Lflag &^= unix.ECHO
	t.Lflag |= unix.ICANON | unix.ISIG
	t.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &t); err != nil {
		return "", err
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			_ = unix.IoctlSetTermios(fd, ioctlSetTermios, old)
			fmt.Fprintln(os.Stderr)
			os.Exit(130)
		case <-done:
		}
	}()
	defer func() {
		close(done)
		signal.Stop(sigs)
		_ = unix.IoctlSetTermios(fd, ioctlSetTermios, old)
		fmt.Fprintln(os.Stderr) // the newline the user typed was not echoed
	}()
	var line []byte
	buf := make([]byte, 1)
	for {
		n, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return "", err
		}
		if n == 0 || buf[0] == '\n' {
			if n == 0 && len(line) == 0 {
				return "", errors.New("no password given (end of input)")
			}
			return string(line), nil
		}
		if buf[0] != '\r' {
			line = append(line, buf[0])
		}
	}
}
