// Package configfile edits config.yaml in place through goccy/go-yaml's syntax tree: a change
// rewrites only the bytes of the value it touches, so comments, blank lines, quoting and key
// order elsewhere stay byte-identical, and Save replaces the file atomically at mode 0600 (it
// holds the swarm key and other secrets).
//
// Every edit is checked before it is kept: the edited text must decode to the old document
// with exactly that change, or the edit fails and the File is unchanged.
package configfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Mode is the permission Save gives the file.
const Mode os.FileMode = 0o600

// utf8BOM is kept in front of the file but hidden from the parser, which would read it as part
// of the first key.
var utf8BOM = []byte("\ufeff")

// File is config.yaml's text, edited in memory until Save. It is not safe for concurrent use.
type File struct {
	path string
	bom  bool
	src  []byte
}

// Load reads path; a missing file gives an empty File that Save creates.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{path: path}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("configfile: load: %w", err)
	}
	return Parse(path, data)
}

// Parse makes a File from data, to be saved at path.
func Parse(path string, data []byte) (*File, error) {
	f := &File{path: path, bom: bytes.HasPrefix(data, utf8BOM)}
	f.src = bytes.Clone(bytes.TrimPrefix(data, utf8BOM))
	if _, err := parseDoc(f.src); err != nil {
		return nil, fmt.Errorf("configfile: parse %s: %w", path, err)
	}
	if _, err := decode(f.src); err != nil {
		return nil, fmt.Errorf("configfile: parse %s: %w", path, err)
	}
	return f, nil
}

// Path is where Save writes.
func (f *File) Path() string { return f.path }

// Bytes returns the current text.
func (f *File) Bytes() []byte {
	if f.bom {
		return append(bytes.Clone(utf8BOM), f.src...)
	}
	return bytes.Clone(f.src)
}

// Save writes the text to Path atomically, at mode 0600.
func (f *File) Save() error {
	return WriteAtomic(f.path, f.Bytes(), Mode)
}

// Set writes value at path (mapping keys from the top), replacing the old value in place or
// adding the key at the end of its mapping, creating missing mappings on the way. Strings
// with line breaks are written as literal blocks (|); maps are written in key order, structs
// and yaml.MapSlice in field order; values that marshal themselves (secrets that redact
// themselves) are written as they marshal, so pass a secret's revealed text. Comments inside
// the old value are dropped with it; all others stay.
func (f *File) Set(path []string, value any) error {
	v, err := normalize(value)
	if err != nil {
		return fmt.Errorf("configfile: set %s: %w", strings.Join(path, "."), err)
	}
	return f.commit("set "+strings.Join(path, "."), func(d *doc) (change, error) {
		return d.set(keySteps(path), v)
	})
}

// Delete removes the key at path with its value and the comment lines directly above it (at
// the key's indentation, with no blank line between). Removing the last key of a nested
// mapping leaves it as {}. A missing key gives an error wrapping ErrNotFound.
func (f *File) Delete(path []string) error {
	steps := keySteps(path)
	return f.commit("delete "+pathString(steps), func(d *doc) (change, error) {
		if len(steps) == 0 {
			return change{}, fmt.Errorf("empty path")
		}
		holder, m, i, err := d.findEntry(steps)
		if err != nil {
			return change{}, err
		}
		parent, last := steps[:len(steps)-1], steps[len(steps)-1]
		edits, err := d.removeEntry(holder, m, i)
		return change{edits: edits, model: func(root any) (any, error) {
			return update(root, parent, removeKey(last.key))
		}}, err
	})
}
