package joinurl

import (
	"errors"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/p2p/swarmkey"
)

// Valid peer ids (Ed25519 keys from fixed seeds).
const (
	idA = "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5"
	idB = "12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq"
	idC = "12D3KooWRndVhVZPCiQwHBBBdg769GyrPUW13zxwqQyf9r3ANaba"
)

const hexKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func testKey(t *testing.T) swarmkey.Key {
	t.Helper()
	k, err := swarmkey.Parse(swarmkey.Header + "\n" + swarmkey.Base16 + "\n" + hexKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// wantInvalid checks err wraps ErrInvalid, mentions every part and never leaks the key.
func wantInvalid(t *testing.T, name string, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one mentioning %q", name, parts)
		return
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("%s: %v does not wrap ErrInvalid", name, err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not mention %q", name, err, p)
		}
	}
	if strings.Contains(strings.ToLower(err.Error()), hexKey[:16]) {
		t.Errorf("%s: error %q leaks the key", name, err)
	}
}
