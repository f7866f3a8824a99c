package room_test

import (
	"testing"

	"github.com/meshhold/meshhold/actors/room"
)

// VerifyPeerSig checks a signature with the key a libp2p Ed25519 peer id embeds.
func TestVerifyPeerSig(t *testing.T) {
	a, b := newIdentity(t, 1), newIdentity(t, 2)
	msg := []byte("MHC1 signed bytes")
	sig := room.Signer(a.priv)(msg)
	if len(sig) != 64 {
		t.Fatalf("signature of %d bytes", len(sig))
	}
	if !room.VerifyPeerSig(a.id, msg, sig) {
		t.Fatal("a genuine signature does not verify")
	}
	flipped := append([]byte{}, sig...)
	flipped[10] ^= 0x80
	for name, ok := range map[string]bool{
		"another message": room.VerifyPeerSig(a.id, []byte("MHC1 other bytes"), sig),
		"another sender":  room.VerifyPeerSig(b.id, msg, sig),
		"a flipped bit":   room.VerifyPeerSig(a.id, msg, flipped),
		"no signature":    room.VerifyPeerSig(a.id, msg, nil),
		"a malformed id":  room.VerifyPeerSig("not-a-peer-id", msg, sig),
		"an empty sender": room.VerifyPeerSig("", msg, sig),
	} {
		if ok {
			t.Errorf("%s verifies", name)
		}
	}
	// Signing is deterministic, as the core's purity needs.
	if again := room.Signer(a.priv)(msg); string(again) != string(sig) {
		t.Fatal("two signatures of the same bytes differ")
	}
}
