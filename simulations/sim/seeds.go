package sim

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Seeds says which seeds a check plays.
type Seeds struct {
	// One replays only this seed (the -seed flag); the "sometimes" check is skipped.
	One uint64
	// Count seeds from Base are played after the regressions (-seeds, -seedbase).
	Count int
	Base  uint64
	// Dir holds the regressions, <Dir>/<scenario>.seeds; failing seeds are added there.
	Dir string
	// Dump prints the trace of a -seed replay.
	Dump bool
}

// List is the seeds to play: One alone, or the regressions followed by Count seeds from Base.
func (s Seeds) List(name string) ([]uint64, error) {
	if s.One != 0 {
		return []uint64{s.One}, nil
	}
	out, err := Regressions(s.path(name))
	if err != nil {
		return nil, err
	}
	base := max(s.Base, 1)
	for i := range uint64(s.Count) {
		if !slices.Contains(out, base+i) {
			out = append(out, base+i)
		}
	}
	return out, nil
}

func (s Seeds) path(name string) string { return filepath.Join(s.Dir, name+".seeds") }

// Regressions reads a seeds file: one seed a line, "#" starts a comment; a missing file is empty.
func Regressions(path string) ([]uint64, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []uint64
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		seed, err := strconv.ParseUint(line, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, seed)
	}
	return out, sc.Err()
}

// keep appends a failing seed to the regressions file unless it is there already.
func (s Seeds) keep(name string, seed uint64, why string) error {
	path := s.path(name)
	old, err := Regressions(path)
	if err != nil || slices.Contains(old, seed) {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	why = strings.ReplaceAll(strings.SplitN(why, "\n", 2)[0], "#", "")
	if len(why) > 100 {
		why = why[:100]
	}
	_, err = fmt.Fprintf(f, "%d # %s\n", seed, why)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
