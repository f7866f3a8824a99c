package messages

import "testing"

func TestSizeParses(t *testing.T) {
	for in, want := range map[string]Size{"0": 0, "1024": 1024, "1KiB": 1024, "1.5 GB": 1_500_000_000, "100GiB": 100 << 30, "7B": 7} {
		var s Size
		if err := s.UnmarshalText([]byte(in)); err != nil || s != want {
			t.Errorf("%q = %d, %v; want %d", in, s, err, want)
		}
	}
	for _, in := range []string{"", "abc", "-1", "5XB", "1e30"} {
		var s Size
		if err := s.UnmarshalText([]byte(in)); err == nil {
			t.Errorf("%q accepted as %d", in, s)
		}
	}
}

func TestSizeString(t *testing.T) {
	for in, want := range map[Size]string{0: "0B", 512: "512B", 1536: "1.5KiB", 20 << 30: "20GiB", 5 << 40: "5TiB", 3 << 50: "3072TiB"} {
		if got := in.String(); got != want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(in), got, want)
		}
	}
}
