// Package joinurl writes and reads the share URLs a node hands out: meshhold://join/v1 (a
// network: name, swarm key, bootstrap peers; a secret) and meshhold://node/v1 (one node: peer
// id, display name, reachable addresses; no secret). docs/formats.md ("Share URLs") has the
// layout and its reasons.
package joinurl

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Scheme is the URL scheme of every share URL.
const Scheme = "meshhold"

// The kinds of share URL: the host part of the URL.
const (
	KindJoin  = "join"  // a network: name, swarm key, bootstrap peers
	KindNode  = "node"  // one node: peer id, display name, addresses
	KindVault = "vault" // a vault: id, name, vault key, peers that hold it
	KindRoom  = "room"  // a chat room: id, name, chat key, initial members, peers that hold it
)

// Version is the only layout version this package writes and reads.
const Version = "v1"

// MaxLen is the longest share URL accepted, in bytes (a QR code holds about 2,900).
const MaxLen = 8 << 10

// MaxNameLen is the longest network or display name, in bytes of UTF-8.
const MaxNameLen = 200

// ErrInvalid is wrapped by every parse and validation error.
var ErrInvalid = errors.New("joinurl: invalid share URL")

// invalid returns an ErrInvalid error with the detail.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// parsed is a share URL split into its parts, not yet checked field by field.
type parsed struct {
	kind   string
	values url.Values
}

// split checks the frame of a share URL (length, scheme, kind, version) and decodes its query.
// Its errors never echo the input, which may hold a swarm key.
func split(s string) (parsed, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return parsed{}, invalid("empty")
	case len(s) > MaxLen:
		return parsed{}, invalid("%d bytes long, at most %d accepted", len(s), MaxLen)
	}
	u, err := url.Parse(s)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the whole input
		}
		return parsed{}, invalid("not a URL: %v", err)
	}
	if u.Scheme == "" {
		return parsed{}, invalid("no scheme, want %s://join/%s?… or %s://node/%s?…", Scheme, Version, Scheme, Version)
	}
	if u.Scheme != Scheme { // url.Parse lower-cases the scheme
		return parsed{}, invalid("scheme is %q, want %q", clip(u.Scheme), Scheme)
	}
	if u.Opaque != "" {
		return parsed{}, invalid("missing // after %s:, want %s://<kind>/%s?…", Scheme, Scheme, Version)
	}
	if u.User != nil {
		return parsed{}, invalid("unexpected user info before the kind")
	}
	kind := strings.ToLower(u.Host)
	switch kind {
	case KindJoin, KindNode, KindVault, KindRoom:
	case "":
		return parsed{}, invalid("missing kind, want %s://join/… or %s://node/…", Scheme, Scheme)
	default:
		return parsed{}, invalid("unknown kind %q, want %q, %q, %q or %q", clip(u.Host), KindJoin, KindNode, KindVault, KindRoom)
	}
	if err := checkVersion(u.Path); err != nil {
		return parsed{}, err
	}
	if u.Fragment != "" || strings.HasSuffix(s, "#") {
		return parsed{}, invalid("unexpected #fragment after the parameters")
	}
	values, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return parsed{}, invalid("bad parameters: %v", err)
	}
	return parsed{kind: kind, values: values}, nil
}

// checkVersion checks the path, which is the layout version: "/v1".
func checkVersion(path string) error {
	v := strings.TrimPrefix(path, "/")
	switch {
	case v == "":
		return invalid("missing version, want /%s after the kind", Version)
	case strings.Contains(v, "/"):
		return invalid("path %q has more than a version, want /%s", clip(path), Version)
	case v != Version:
		return invalid("unsupported version %q, this build reads %s", clip(v), Version)
	}
	return nil
}

// wantKind fails when p is a share URL of another kind than want.
func (p parsed) wantKind(want string) error {
	if p.kind != want {
		return invalid("this is a %s URL (%s://%s/…), not a %s URL", p.kind, Scheme, p.kind, want)
	}
	return nil
}

// single returns the one value of a parameter that may appear at most once.
func (p parsed) single(key string) (string, bool, error) {
	vs := p.values[key]
	switch len(vs) {
	case 0:
		return "", false, nil
	case 1:
		return vs[0], true, nil
	}
	return "", true, invalid("%s is given %d times, want once", key, len(vs))
}

// checkName checks a network or display name: UTF-8, no control characters, not too long.
func checkName(key, name string) error {
	switch {
	case len(name) > MaxNameLen:
		return invalid("%s is %d bytes, at most %d", key, len(name), MaxNameLen)
	case !utf8.ValidString(name):
		return invalid("%s is not valid UTF-8", key)
	case strings.IndexFunc(name, isControl) >= 0:
		return invalid("%s contains a control character", key)
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// clip quotes-ready shortens a value echoed in an error.
func clip(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:80] + "…"
}
