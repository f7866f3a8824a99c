package swarmkey

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics, every error wraps ErrInvalid and never echoes a key line, and a
// parsed key's Text parses back to an Equal key (and is the canonical form).
func FuzzParse(f *testing.F) {
	canonical := Header + "\n" + Base16 + "\n" + hexKey + "\n"
	for _, s := range []string{
		canonical,
		strings.ReplaceAll(canonical, "\n", "\r\n"),
		"  " + Header + "\n\t" + Base16 + "\n  " + strings.ToUpper(hexKey),
		Header + "\n/base64/\n" + hexKey,
		Header + "\n" + Base16 + "\n" + hexKey[:63] + "g",
		hexKey,
		"",
		"\n\n\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		text := k.Text()
		again, err := Parse(text)
		if err != nil {
			t.Fatalf("Text() of a parsed key does not parse: %v", err)
		}
		if !again.Equal(k) {
			t.Fatal("Text() parses back to a different key")
		}
		if again.Text() != text {
			t.Fatal("Text() is not stable")
		}
		if strings.Contains(k.String(), text[len(Header)+len(Base16)+2:len(text)-1]) {
			t.Fatal("String() shows the key")
		}
	})
}
