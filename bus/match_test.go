package bus_test

import (
	"testing"

	"github.com/meshhold/meshhold/bus"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, subject string
		want             bool
	}{
		{"a", "a", true},
		{"a", "b", false},
		{"a.b.c", "a.b.c", true},
		{"a.b.c", "a.b", false},
		{"a.b", "a.b.c", false},
		{"a.*", "a.b", true},
		{"a.*", "a.b.c", false},
		{"a.*", "a", false},
		{"*.b", "a.b", true},
		{"*", "a", true},
		{"*", "a.b", false},
		{"a.*.c", "a.x.c", true},
		{"a.*.c", "a.x.d", false},
		{"a.>", "a.b", true},
		{"a.>", "a.b.c.d", true},
		{"a.>", "a", false},
		{">", "a", true},
		{">", "a.b.c", true},
		{"a.>.c", "a.b.c", false},
		{"a.*.>", "a.b.c", true},
		{"a.*.>", "a.b", false},
		{"ab.c", "a.bc", false},
		{"a..b", "a..b", false},
		{"a.>", "a..b", false},
		{"a.b.", "a.b.", false},
		{"", "", false},
		{"a", "", false},
		{"", "a", false},
		{"a*", "a*", true},
		{"a*", "ab", false},
		{bus.AllEvents, bus.EventSubject("vault_created", "vault/v1"), true},
		{bus.AllEvents, "meshhold.events", false},
		{bus.EntitySubject("room/r1"), bus.EventSubject("message_posted", "room/r1"), true},
		{bus.EntitySubject("room/r1"), bus.EventSubject("message_posted", "room/r2"), false},
		{bus.TypeSubject("message_posted"), bus.EventSubject("message_posted", "room/r1"), true},
		{bus.TypeSubject("message_posted"), bus.EventSubject("member_joined", "room/r1"), false},
		{bus.EntitySubject("vault/a.b"), bus.EventSubject("x", "vault/a.b"), true},
		{bus.EntitySubject("vault/a"), bus.EventSubject("x", "vault/a.b"), false},
	}
	for _, c := range cases {
		if got := bus.Match(c.pattern, c.subject); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.subject, got, c.want)
		}
	}
}
