package messages

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Size is a byte count that config files spell as a number or with a unit ("500MB", "100GiB").
type Size int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

// UnmarshalText reads "1073741824", "1GiB", "1.5 GB" and the like.
func (s *Size) UnmarshalText(b []byte) error {
	text := strings.TrimSpace(string(b))
	num, mult := text, int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(text, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(text, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || f*float64(mult) > 1<<62 {
		return fmt.Errorf("invalid size %q: want bytes or a number with a unit such as \"500MB\" or \"100GiB\"", text)
	}
	*s = Size(f * float64(mult))
	return nil
}

// MarshalText writes the byte count.
func (s Size) MarshalText() ([]byte, error) { return []byte(strconv.FormatInt(int64(s), 10)), nil }

// String spells the size with the largest binary unit that keeps it at least 1 ("1.5GiB",
// "512B"), for logs and messages.
func (s Size) String() string {
	v := float64(s)
	for _, u := range []string{"B", "KiB", "MiB", "GiB", "TiB"} {
		if v < 1024 || u == "TiB" {
			if u == "B" {
				return strconv.FormatInt(int64(s), 10) + "B"
			}
			return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) + u
		}
		v /= 1024
	}
	return ""
}
