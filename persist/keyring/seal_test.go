package keyring

import (
	"bytes"
	"errors"
	"testing"
)

func testKeyring(b byte) *Keyring {
	k, _ := parseHexKey(testKey(b))
	return newKeyring(ProviderEnv, k)
}

func TestSealOpenRoundTrip(t *testing.T) {
	k := testKeyring(1)
	for _, pt := range [][]byte{nil, {}, []byte("x"), bytes.Repeat([]byte("secret"), 1000)} {
		sealed, err := k.Seal("vault_key", pt)
		if err != nil {
			t.Fatal(err)
		}
		if len(sealed) != headerLen+len(pt)+tagSize || sealed[0] != formatV1 {
			t.Fatalf("sealed %d bytes for %d, version %d", len(sealed), len(pt), sealed[0])
		}
		if len(pt) >= 8 && bytes.Contains(sealed, pt) { // a 1-byte plaintext turns up by chance
			t.Fatal("plaintext visible in sealed bytes")
		}
		got, err := k.Open("vault_key", sealed)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("open: %q %v", got, err)
		}
	}
	a, _ := k.Seal("p", []byte("same"))
	b, _ := k.Seal("p", []byte("same"))
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are equal: nonce reused")
	}
}

func TestPurposeBinding(t *testing.T) {
	k := testKeyring(2)
	sealed, _ := k.Seal("vault_key/v1", []byte("key"))
	_, err := k.Open("token", sealed)
	if !errors.Is(err, ErrSealedInvalid) || !contains(err.Error(), `"token"`) {
		t.Fatalf("opened as another purpose: %v", err)
	}
	if _, err := k.Seal("", nil); err == nil {
		t.Fatal("empty purpose accepted")
	}
}

func TestTamperAndWrongKey(t *testing.T) {
	k := testKeyring(3)
	sealed, _ := k.Seal("identity", []byte("private key bytes"))
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		if _, err := k.Open("identity", bad); !errors.Is(err, ErrSealedInvalid) {
			t.Fatalf("flipped byte %d: %v", i, err)
		}
	}
	for _, bad := range [][]byte{nil, sealed[:headerLen+tagSize-1], append(bytes.Clone(sealed), 0)} {
		if _, err := k.Open("identity", bad); !errors.Is(err, ErrSealedInvalid) {
			t.Fatalf("%d bytes: %v", len(bad), err)
		}
	}
	if _, err := testKeyring(4).Open("identity", sealed); !errors.Is(err, ErrSealedInvalid) {
		t.Fatalf("other master key: %v", err)
	}
}

func TestSubkeysDiffer(t *testing.T) {
	k := testKeyring(5)
	a, _ := k.aead("a")
	b, _ := k.aead("b")
	nonce := make([]byte, nonceSize)
	if bytes.Equal(a.Seal(nil, nonce, []byte("x"), nil), b.Seal(nil, nonce, []byte("x"), nil)) {
		t.Fatal("two purposes share a subkey")
	}
}

func TestConcurrentUse(t *testing.T) {
	k := testKeyring(6)
	done := make(chan error)
	for g := range 4 {
		go func() {
			var err error
			for i := range 200 {
				purpose := string(rune('a' + (g+i)%8))
				var sealed, pt []byte
				if sealed, err = k.Seal(purpose, []byte(purpose)); err == nil {
					pt, err = k.Open(purpose, sealed)
				}
				if err != nil || string(pt) != purpose {
					break
				}
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
