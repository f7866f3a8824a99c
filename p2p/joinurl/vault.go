package joinurl

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
)

// VaultKeySize is the length of a vault key in bytes.
const VaultKeySize = 32

// Vault is what a meshhold://vault/v1 URL carries: enough for a node of the same network to
// become a trusted holder of a vault. It holds the vault key, so String, Format, LogValue and
// JSON redact it; URL gives the secret form.
type Vault struct {
	ID    string             `json:"id"`    // the vault id
	Name  string             `json:"name"`  // its name; may be empty
	Key   [VaultKeySize]byte `json:"-"`     // the vault key
	Peers []string           `json:"peers"` // nodes that hold it, each ending in /p2p/<peer id>
}

// vaultID is the shape of a vault id: what POST /vaults mints (hex) or config.yaml declares.
var vaultID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// URL returns the share URL, vault key included: hand it only to a node that may read the vault.
func (v Vault) URL() string {
	u := newURL(KindVault)
	u.add("id", v.ID)
	if v.Name != "" {
		u.add("name", v.Name)
	}
	u.add("key", hex.EncodeToString(v.Key[:]))
	for _, p := range v.Peers {
		u.add("peer", p)
	}
	return u.String()
}

// Validate checks the id, the name, every peer and the length of the URL.
func (v Vault) Validate() error {
	if !vaultID.MatchString(v.ID) {
		return invalid("vault id %q: want 1–64 letters, digits, - or _", clip(v.ID))
	}
	if err := checkName("name", v.Name); err != nil {
		return err
	}
	for i, p := range v.Peers {
		if _, _, err := parsePeerAddr(p); err != nil {
			return invalid("peer[%d] %q: %v", i, clip(p), err)
		}
	}
	if n := len(v.URL()); n > MaxLen {
		return invalid("URL would be %d bytes, at most %d; share fewer peers", n, MaxLen)
	}
	return nil
}

// ParseVault reads a meshhold://vault/v1 URL. Its errors name the bad part and never echo the key.
func ParseVault(s string) (Vault, error) {
	p, err := split(s)
	if err != nil {
		return Vault{}, err
	}
	if err := p.wantKind(KindVault); err != nil {
		return Vault{}, err
	}
	var v Vault
	id, ok, err := p.single("id")
	if err != nil {
		return Vault{}, err
	}
	if !ok || id == "" {
		return Vault{}, invalid("missing id (the vault id)")
	}
	v.ID = id
	if v.Name, _, err = p.single("name"); err != nil {
		return Vault{}, err
	}
	key, ok, err := p.single("key")
	switch {
	case err != nil:
		return Vault{}, err
	case !ok || key == "":
		return Vault{}, invalid("missing key (the vault key, %d hex characters)", 2*VaultKeySize)
	case len(key) != 2*VaultKeySize:
		return Vault{}, invalid("key is %d characters, want %d hex characters", len(key), 2*VaultKeySize)
	}
	b, err := hex.DecodeString(key)
	if err != nil {
		return Vault{}, invalid("key is not hex")
	}
	copy(v.Key[:], b)
	for i, raw := range p.values["peer"] {
		addr, _, err := parsePeerAddr(raw)
		if err != nil {
			return Vault{}, invalid("peer[%d] %q: %v", i, clip(raw), err)
		}
		v.Peers = append(v.Peers, addr)
	}
	if err := v.Validate(); err != nil {
		return Vault{}, err
	}
	return v, nil
}

// String describes the URL without its key.
func (v Vault) String() string {
	return "meshhold://vault/v1 (vault " + strconv.Quote(v.ID) + ", key redacted, " + strconv.Itoa(len(v.Peers)) + " peers)"
}

// GoString is String.
func (v Vault) GoString() string { return v.String() }

// Format prints String under every verb.
func (v Vault) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(v.String())) }

// LogValue logs String.
func (v Vault) LogValue() slog.Value { return slog.StringValue(v.String()) }
