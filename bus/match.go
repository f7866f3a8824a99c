package bus

import "strings"

// Match reports whether subject is matched by pattern under NATS rules: tokens are separated
// by '.', '*' matches exactly one token and '>' (only as the last token) matches one or more.
// Empty subjects, empty tokens and a '>' before the last token never match.
func Match(pattern, subject string) bool {
	if pattern == "" || subject == "" {
		return false
	}
	for {
		pt, prest, pmore := strings.Cut(pattern, ".")
		st, srest, smore := strings.Cut(subject, ".")
		if pt == "" || st == "" {
			return false
		}
		switch pt {
		case ">":
			return !pmore && validTokens(subject)
		case "*":
		default:
			if pt != st {
				return false
			}
		}
		if !pmore || !smore {
			return !pmore && !smore
		}
		pattern, subject = prest, srest
	}
}

// validTokens reports whether s has no empty token.
func validTokens(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	return !strings.Contains(s, "..")
}
