package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// readNewPassword gets the new password: one line of stdin with fromStdin, else typed twice at
// the terminal without echo (with echo, said in the prompt, where the system cannot hide it).
func readNewPassword(in *os.File, prompt io.Writer, fromStdin bool) (string, error) {
	if fromStdin {
		pw, err := readLine(bufio.NewReader(in))
		if err != nil {
			return "", fmt.Errorf("--password-stdin: %w", err)
		}
		return pw, nil
	}
	fd := int(in.Fd())
	switch {
	case canHideInput && isTerminal(fd):
		return promptTwice(prompt, "", func() (string, error) { return readHidden(fd) })
	case canHideInput:
		return "", errors.New("stdin is not a terminal: pipe the password in with --password-stdin")
	}
	r := bufio.NewReader(in)
	return promptTwice(prompt, " (this system cannot hide it: it is shown as you type)", func() (string, error) { return readLine(r) })
}

// promptTwice asks for the password and its confirmation and requires them to match.
func promptTwice(w io.Writer, note string, read func() (string, error)) (string, error) {
	fmt.Fprintf(w, "New password%s: ", note)
	first, err := read()
	if err != nil {
		return "", err
	}
	fmt.Fprint(w, "Repeat it: ")
	second, err := read()
	if err != nil {
		return "", err
	}
	if first != second {
		return "", errors.New("the two passwords differ; nothing was changed")
	}
	return first, nil
}

// readLine reads one line without its line ending; an empty input is an error.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("no password given (empty input)")
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
