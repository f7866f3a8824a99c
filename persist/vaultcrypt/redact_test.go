package vaultcrypt

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Keys and keyed state never print, whatever the verb.
func TestRedaction(t *testing.T) {
	key := testKey(0x41)
	kek, _ := DeriveKEK("pw", NewSalt(), cheap)
	var secrets []string
	for _, b := range [][]byte{key[:], kek[:]} {
		secrets = append(secrets, hex.EncodeToString(b), string(b[:4]),
			fmt.Sprintf("%d %d %d %d", b[0], b[1], b[2], b[3]), fmt.Sprintf("%d,%d,%d,%d", b[0], b[1], b[2], b[3]))
	}
	var out strings.Builder
	for _, v := range []any{key, kek, NewBlockSealer(key), NewRecordCipher(key), &key, &kek} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q", "%d"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
		b, _ := json.Marshal(v)
		out.Write(b)
	}
	for _, s := range secrets {
		if strings.Contains(strings.ToLower(out.String()), strings.ToLower(s)) {
			t.Fatalf("a key leaked:\n%s", out.String())
		}
	}
}
