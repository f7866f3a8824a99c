package bus

import (
	"fmt"
	"strings"
)

// EventsPrefix starts every event subject; AllEvents matches every event.
const (
	EventsPrefix = "meshhold.events."
	AllEvents    = EventsPrefix + ">"
)

// EventSubject is the subject of an event: meshhold.events.<type>.<entity-token>, where the
// entity "vault/abc" becomes the token "vault:abc". Characters NATS reserves in tokens are
// percent-escaped, so every entity maps to exactly one token.
func EventSubject(typ, entity string) string {
	return EventsPrefix + Token(typ) + "." + Token(strings.Replace(entity, "/", ":", 1))
}

// EntitySubject matches every event of one entity, whatever its type.
func EntitySubject(entity string) string {
	return EventsPrefix + "*." + Token(strings.Replace(entity, "/", ":", 1))
}

// TypeSubject matches every event of one type.
func TypeSubject(typ string) string { return EventsPrefix + Token(typ) + ".>" }

// Token escapes s into one NATS subject token: '.', '*', '>', '%', whitespace and control
// characters become %XX; an empty s becomes a lone "%", which no escaped string can be.
func Token(s string) string {
	if s == "" {
		return "%"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == '.' || c == '*' || c == '>' || c == '%' || c == 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
