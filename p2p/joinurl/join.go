package joinurl

import (
	"encoding/hex"
	"fmt"

	"github.com/meshhold/meshhold/p2p/swarmkey"
)

// Join is what a meshhold://join/v1 URL carries: enough to join a network. It holds the swarm
// key, so String, Format, LogValue and JSON redact the key; URL gives the secret form.
type Join struct {
	Name  string       `json:"name"`  // network name; may be empty
	Key   swarmkey.Key `json:"key"`   // the network's swarm key (PSK)
	Peers []string     `json:"peers"` // bootstrap multiaddrs, each ending in /p2p/<peer id>
}

// URL returns the share URL, swarm key included: hand it only to a device that may join.
func (j Join) URL() string {
	u := newURL(KindJoin)
	if j.Name != "" {
		u.add("name", j.Name)
	}
	u.add("psk", hex.EncodeToString(j.Key.Bytes()))
	for _, p := range j.Peers {
		u.add("peer", p)
	}
	return u.String()
}

// Validate checks the name, every peer and the length of the URL that URL would write.
func (j Join) Validate() error {
	if err := checkName("name", j.Name); err != nil {
		return err
	}
	for i, p := range j.Peers {
		if _, _, err := parsePeerAddr(p); err != nil {
			return invalid("peer[%d] %q: %v", i, clip(p), err)
		}
	}
	if n := len(j.URL()); n > MaxLen {
		return invalid("URL would be %d bytes, at most %d; share fewer peers", n, MaxLen)
	}
	return nil
}

// ParseJoin reads a meshhold://join/v1 URL; surrounding whitespace is ignored, peers come back
// in canonical multiaddr form. Its errors name the bad part and never echo the key.
func ParseJoin(s string) (Join, error) {
	p, err := split(s)
	if err != nil {
		return Join{}, err
	}
	if err := p.wantKind(KindJoin); err != nil {
		return Join{}, err
	}
	var j Join
	name, _, err := p.single("name")
	if err != nil {
		return Join{}, err
	}
	if err := checkName("name", name); err != nil {
		return Join{}, err
	}
	j.Name = name
	if j.Key, err = parsePSK(p); err != nil {
		return Join{}, err
	}
	for i, raw := range p.values["peer"] {
		addr, _, err := parsePeerAddr(raw)
		if err != nil {
			return Join{}, invalid("peer[%d] %q: %v", i, clip(raw), err)
		}
		j.Peers = append(j.Peers, addr)
	}
	if n := len(j.URL()); n > MaxLen { // "+" and needless escapes come back longer
		return Join{}, invalid("written back in canonical form it would be %d bytes, at most %d", n, MaxLen)
	}
	return j, nil
}

// parsePSK reads the psk parameter: 64 hex characters. Errors never echo it.
func parsePSK(p parsed) (swarmkey.Key, error) {
	s, ok, err := p.single("psk")
	switch {
	case err != nil:
		return swarmkey.Key{}, err
	case !ok || s == "":
		return swarmkey.Key{}, invalid("missing psk (the swarm key, %d hex characters)", 2*swarmkey.Size)
	case len(s) != 2*swarmkey.Size:
		return swarmkey.Key{}, invalid("psk is %d characters, want %d hex characters", len(s), 2*swarmkey.Size)
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return swarmkey.Key{}, invalid("psk is not hex: invalid character at position %d", i+1)
		}
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return swarmkey.Key{}, invalid("psk is not hex")
	}
	k, err := swarmkey.FromBytes(b)
	if err != nil {
		return swarmkey.Key{}, fmt.Errorf("%w: psk: %w", ErrInvalid, err)
	}
	return k, nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
