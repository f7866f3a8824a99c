package joinurl

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestVaultURLRoundTrip(t *testing.T) {
	v := Vault{ID: "3f2a9c01", Name: "Family photos", Peers: []string{"/ip4/192.0.2.7/tcp/7777/p2p/" + idA}}
	for i := range v.Key {
		v.Key[i] = byte(i)
	}
	url := v.URL()
	if !strings.HasPrefix(url, "meshhold://vault/v1?id=3f2a9c01&name=Family%20photos&key=000102") {
		t.Fatalf("URL %s", url)
	}
	got, err := ParseVault(url)
	if err != nil || got.ID != v.ID || got.Name != v.Name || got.Key != v.Key || len(got.Peers) != 1 || got.Peers[0] != v.Peers[0] {
		t.Fatalf("ParseVault = %+v, %v", got.Peers, err)
	}
	keyHex := url[strings.Index(url, "key=")+4 : strings.Index(url, "key=")+68]
	for _, s := range []string{got.String(), fmt.Sprintf("%v %+v %#v %s", got, got, got, got)} {
		if strings.Contains(s, keyHex) {
			t.Fatalf("the key leaks: %s", s)
		}
	}
}

func TestVaultURLErrorsNameThePart(t *testing.T) {
	key := strings.Repeat("ab", 32)
	for _, tc := range []struct{ url, want string }{
		{"meshhold://vault/v1?key=" + key, "missing id"},
		{"meshhold://vault/v1?id=a%2Fb&key=" + key, "vault id"},
		{"meshhold://vault/v1?id=v1", "missing key"},
		{"meshhold://vault/v1?id=v1&key=abcd", "key is 4 characters"},
		{"meshhold://vault/v1?id=v1&key=" + strings.Repeat("zz", 32), "key is not hex"},
		{"meshhold://vault/v1?id=v1&key=" + key + "&peer=/ip4/1.2.3.4/tcp/1", "peer[0]"},
		{"meshhold://join/v1?psk=" + key, "not a vault URL"},
	} {
		_, err := ParseVault(tc.url)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), key) {
			t.Errorf("%s: %v, want %q", tc.url, err, tc.want)
		}
	}
}

func FuzzParseVault(f *testing.F) {
	f.Add("meshhold://vault/v1?id=v1&name=x&key=" + strings.Repeat("0f", 32) + "&peer=/ip4/192.0.2.7/tcp/7777/p2p/" + idA)
	f.Add("meshhold://vault/v1?id=v1&key=" + strings.Repeat("0F", 32))
	f.Add("meshhold://vault/v1?id=&key=")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVault(s)
		if err != nil {
			return
		}
		back, err := ParseVault(v.URL())
		if err != nil || back.ID != v.ID || back.Name != v.Name || back.Key != v.Key || len(back.Peers) != len(v.Peers) {
			t.Fatalf("%q parsed, but its URL does not parse back the same: %v", s, err)
		}
	})
}
