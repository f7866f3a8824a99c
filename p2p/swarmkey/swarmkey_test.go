package swarmkey

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/pnet"
)

const hexKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseAccepts(t *testing.T) {
	canonical := Header + "\n" + Base16 + "\n" + hexKey + "\n"
	for name, text := range map[string]string{
		"canonical":          canonical,
		"no trailing EOL":    strings.TrimSuffix(canonical, "\n"),
		"CRLF":               strings.ReplaceAll(canonical, "\n", "\r\n"),
		"surrounding spaces": "\n\n  " + canonical + "  \n\t",
		"indented lines":     "  " + Header + "\n  " + Base16 + "\n  " + hexKey + "\n",
		"upper-case hex":     Header + "\n" + Base16 + "\n" + strings.ToUpper(hexKey),
	} {
		k, err := Parse(text)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if k.Text() != canonical {
			t.Errorf("%s: Text() = %q, want %q", name, k.Text(), canonical)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"empty", "  \n", "empty"},
		{"one line", hexKey, "got 1 lines, want 3"},
		{"four lines", Header + "\n" + Base16 + "\n" + hexKey + "\nextra", "got 4 lines, want 3"},
		{"blank line inside", Header + "\n\n" + Base16 + "\n" + hexKey, "got 4 lines, want 3"},
		{"wrong header", "/key/swarm/psk/2.0.0/\n" + Base16 + "\n" + hexKey, `wrong header line "/key/swarm/psk/2.0.0/"`},
		{"key first", hexKey + "\n" + Header + "\n" + Base16, "wrong header line (64 characters, not starting with /)"},
		{"base64", Header + "\n/base64/\n" + hexKey, "unsupported encoding /base64/, only /base16/ is supported"},
		{"bin", Header + "\n/bin/\n" + hexKey, "unsupported encoding /bin/"},
		{"unknown encoding", Header + "\n/base32/\n" + hexKey, `unknown encoding line "/base32/", want /base16/`},
		{"short", Header + "\n" + Base16 + "\n" + hexKey[:62], "key line is 62 characters, want 64 hex characters"},
		{"long", Header + "\n" + Base16 + "\n" + hexKey + "00", "key line is 66 characters, want 64"},
		{"not hex", Header + "\n" + Base16 + "\n" + hexKey[:10] + "zz" + hexKey[12:], "not hex: invalid character at position 11"},
		{"inner space", Header + "\n" + Base16 + "\n" + hexKey[:32] + " " + hexKey[33:], "not hex: invalid character at position 33"},
	} {
		_, err := Parse(tc.text)
		if err == nil {
			t.Errorf("%s: Parse succeeded, want error containing %q", tc.name, tc.want)
			continue
		}
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q, want ErrInvalid containing %q", tc.name, err, tc.want)
		}
		if strings.Contains(err.Error(), hexKey[:16]) {
			t.Errorf("%s: error echoes key material: %q", tc.name, err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	k, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(k.Text())
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equal(k) || !bytes.Equal(back.Bytes(), k.Bytes()) || back.Fingerprint() != k.Fingerprint() {
		t.Fatalf("round trip changed the key")
	}
	if len(k.Bytes()) != Size || len(k.Fingerprint()) != 16 {
		t.Fatalf("Bytes is %d bytes, Fingerprint %q", len(k.Bytes()), k.Fingerprint())
	}
	other, _ := Generate()
	if other.Equal(k) {
		t.Fatal("two generated keys are equal")
	}
	b := k.Bytes()
	b[0] ^= 0xff
	if bytes.Equal(b, k.Bytes()) {
		t.Fatal("Bytes returns the key's own storage")
	}
	if _, err := FromBytes(b[:31]); !errors.Is(err, ErrInvalid) {
		t.Fatalf("FromBytes(31 bytes) = %v", err)
	}
}

// TestLibp2pDecodes checks that go-libp2p's own decoder reads Text() as the same 32 bytes.
func TestLibp2pDecodes(t *testing.T) {
	for range 5 {
		k, err := Generate()
		if err != nil {
			t.Fatal(err)
		}
		psk, err := pnet.DecodeV1PSK(strings.NewReader(k.Text()))
		if err != nil {
			t.Fatalf("pnet.DecodeV1PSK: %v", err)
		}
		if !bytes.Equal(psk, k.Bytes()) {
			t.Fatalf("pnet decoded %x, want %x", []byte(psk), k.Bytes())
		}
	}
}

func TestRedaction(t *testing.T) {
	k, err := Parse(Header + "\n" + Base16 + "\n" + hexKey)
	if err != nil {
		t.Fatal(err)
	}
	type holder struct {
		Key Key  `json:"key"`
		Ptr *Key `json:"ptr"`
	}
	h := holder{Key: k, Ptr: &k}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "key", k, "ptr", &k, "h", h)
	var text bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("x", "key", k)
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	mt, _ := k.MarshalText()
	outs := []string{
		fmt.Sprint(k), fmt.Sprintf("%v %s %q %x %X %d %+v %#v", k, k, k, k, k, k, k, k),
		fmt.Sprintf("%v %+v %#v %v", h, h, h, &k), k.String(), k.GoString(),
		string(js), string(mt), logged.String(), text.String(),
	}
	secretForms := []string{hexKey, strings.ToUpper(hexKey), string(k.Bytes()), fmt.Sprint(k.Bytes()), hexKey[:16]}
	for _, out := range outs {
		for _, s := range secretForms {
			if strings.Contains(out, s) {
				t.Errorf("key leaked: %s", out)
			}
		}
		if !strings.Contains(out, k.Fingerprint()) {
			t.Errorf("redacted form lacks the fingerprint: %s", out)
		}
	}
	if !strings.Contains(k.Text(), hexKey) {
		t.Fatal("Text must give the secret form")
	}
}
