package bus_test

import (
	"strings"
	"testing"

	"github.com/meshhold/meshhold/bus"
)

func TestToken(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "%"},
		{"abc", "abc"},
		{"vault:abc", "vault:abc"},
		{"a.b", "a%2Eb"},
		{"a*b", "a%2Ab"},
		{"a>b", "a%3Eb"},
		{"100%", "100%25"},
		{"a b", "a%20b"},
		{"tab\there", "tab%09here"},
		{"nl\n", "nl%0A"},
		{"\x00", "%00"},
		{"del\x7f", "del%7F"},
		{"_", "_"},
		{"-_~:/", "-_~:/"},
		{"héllo", "héllo"},
		{"%2E", "%252E"},
	}
	for _, c := range cases {
		got := bus.Token(c.in)
		if got != c.want {
			t.Errorf("Token(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.ContainsAny(got, ".*> \t\r\n") {
			t.Errorf("Token(%q) = %q still holds a reserved character", c.in, got)
		}
	}
}

// TestTokenIsInjective checks distinct inputs give distinct tokens, the empty one included.
func TestTokenIsInjective(t *testing.T) {
	inputs := []string{"", "_", "a.b", "a%2Eb", "a%b", "a%25b", "a b", "a%20b", "%", "%25", "a*", "a%2A"}
	seen := map[string]string{}
	for _, in := range inputs {
		tok := bus.Token(in)
		if prev, ok := seen[tok]; ok {
			t.Errorf("Token(%q) and Token(%q) are both %q", prev, in, tok)
		}
		seen[tok] = in
	}
}

func TestSubjects(t *testing.T) {
	cases := []struct{ got, want string }{
		{bus.EventSubject("vault_created", "vault/abc"), "meshhold.events.vault_created.vault:abc"},
		{bus.EventSubject("file_uploaded", "vault/a.b"), "meshhold.events.file_uploaded.vault:a%2Eb"},
		{bus.EventSubject("x", "room/a/b"), "meshhold.events.x.room:a/b"},
		{bus.EventSubject("", ""), "meshhold.events.%.%"},
		{bus.EntitySubject("room/r1"), "meshhold.events.*.room:r1"},
		{bus.TypeSubject("message_posted"), "meshhold.events.message_posted.>"},
		{bus.AllEvents, "meshhold.events.>"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
