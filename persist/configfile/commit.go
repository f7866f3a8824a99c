package configfile

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// commit applies one change to the text if the result decodes to what the change says.
func (f *File) commit(name string, build func(*doc) (change, error)) error {
	fail := func(err error) error {
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return fmt.Errorf("configfile: %s: %w", name, err)
	}
	d, err := parseDoc(f.src)
	if err != nil {
		return fail(err)
	}
	c, err := build(d)
	if err != nil {
		return fail(err)
	}
	if len(c.edits) == 0 {
		return nil
	}
	out, err := splice(f.src, c.edits, d.newline())
	if err != nil {
		return fail(err)
	}
	want, err := decode(f.src)
	if err == nil {
		want, err = c.model(want)
	}
	if err != nil {
		return fail(err)
	}
	got, err := decode(out)
	if err == nil {
		_, err = parseDoc(out)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		err = errors.New("it would change other values (an anchor or an unusual layout)")
	}
	if err != nil {
		return fail(fmt.Errorf("edit refused, file unchanged: %w", err))
	}
	f.src = out
	return nil
}

// splice applies non-overlapping edits (several may insert at one offset, in order).
func splice(src []byte, edits []edit, newline string) ([]byte, error) {
	slices.SortStableFunc(edits, func(a, b edit) int { return a.start - b.start })
	var out bytes.Buffer
	at := 0
	for _, e := range edits {
		if e.start < at || e.end < e.start || e.end > len(src) {
			return nil, fmt.Errorf("overlapping edits")
		}
		out.Write(src[at:e.start])
		out.WriteString(strings.ReplaceAll(e.text, "\n", newline))
		at = e.end
	}
	out.Write(src[at:])
	return out.Bytes(), nil
}
