package reports

import (
	"strings"
	"testing"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/swarmkey"
)

type inner struct {
	Token messages.Secret
	Name  string
}

type outer struct {
	Key     messages.Secret
	Empty   messages.Secret
	PSK     swarmkey.Key
	Ptr     *inner
	List    []inner
	Map     map[string]messages.Secret
	Any     any
	private string
}

func TestRedactCopiesWithoutSecrets(t *testing.T) {
	k, _ := swarmkey.Generate()
	in := outer{Key: "k-secret-1", PSK: k, Ptr: &inner{Token: "p-secret-2", Name: "n"},
		List: []inner{{Token: "l-secret-3"}}, Map: map[string]messages.Secret{"m": "m-secret-4"},
		Any: inner{Token: "a-secret-5"}, private: "kept"}
	got, err := Redact(in)
	if err != nil {
		t.Fatal(err)
	}
	out := got.(outer)
	if out.Key != messages.Redacted || out.Empty != "" || !out.PSK.Equal(swarmkey.Key{}) || out.Ptr.Token != messages.Redacted ||
		out.Ptr.Name != "n" || out.List[0].Token != messages.Redacted || out.Map["m"] != messages.Redacted ||
		out.Any.(inner).Token != messages.Redacted || out.private != "kept" {
		t.Fatalf("redacted %#v", out)
	}
	if in.Key.Reveal() != "k-secret-1" || in.Ptr.Token.Reveal() != "p-secret-2" || in.List[0].Token.Reveal() != "l-secret-3" ||
		in.Map["m"].Reveal() != "m-secret-4" || !in.PSK.Equal(k) {
		t.Fatalf("the original changed: %#v", in)
	}
}

// An unexported field of a secret type cannot be rewritten: redaction refuses rather than leak.
func TestRedactFailsClosed(t *testing.T) {
	type hidden struct {
		Name   string
		secret messages.Secret
	}
	_, err := Redact(hidden{secret: "x"})
	if err == nil || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("err %v", err)
	}
}

func TestSecretValuesAndMask(t *testing.T) {
	k, _ := swarmkey.Generate()
	v := outer{Key: messages.Secret(k.Text()), PSK: k, List: []inner{{Token: `quote"secret-6`}}, Ptr: &inner{Token: "short"}}
	vals := SecretValues(v)
	hexLine := strings.Fields(k.Text())[2]
	for _, want := range []string{k.Text(), hexLine, `quote"secret-6`, "short"} {
		if !strings.Contains(strings.Join(vals, "\n"), want) {
			t.Errorf("SecretValues lacks %q", want)
		}
	}
	secs := []Section{
		{"log.jsonl", []byte(`{"msg":"oops","key":"` + hexLine + `","v":"quote\"secret-6","w":"short"}`)},
		{"plain", []byte("x " + hexLine + " y")},
	}
	MaskValues(secs, vals)
	for _, s := range secs {
		if strings.Contains(string(s.Data), hexLine) || strings.Contains(string(s.Data), "secret-6") {
			t.Errorf("%s still holds a secret: %s", s.Name, s.Data)
		}
		if !strings.Contains(string(s.Data), messages.Redacted) {
			t.Errorf("%s: %s", s.Name, s.Data)
		}
	}
	if !strings.Contains(string(secs[0].Data), `"w":"short"`) {
		t.Errorf("a value shorter than 8 bytes was masked: %s", secs[0].Data)
	}
}
