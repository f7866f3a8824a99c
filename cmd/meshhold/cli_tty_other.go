//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package main

import "errors"

// canHideInput: this system has no portable way to turn the terminal's echo off here.
const canHideInput = false

// isTerminal is not known here.
func isTerminal(int) bool { return false }

// readHidden is not available here.
func readHidden(int) (string, error) { return "", errors.New("hidden input is not supported here") }
