package room

import (
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Deps are what a room core needs from outside: the master-key unsealer of its chat key
// (keyring.Open), this node's id (a libp2p peer id, the sender of its messages), the node key's
// signer, and the verifier of other senders' signatures (VerifyPeerSig in the daemon).
type Deps struct {
	Unseal func(purpose string, sealed []byte) ([]byte, error)
	NodeID string
	// Sign signs msg with this node's Ed25519 key; it must be deterministic (Ed25519 is).
	Sign func(msg []byte) []byte
	// Verify reports whether sig is sender's signature of msg.
	Verify func(sender string, msg, sig []byte) bool
}

// VerifyPeerSig checks sig against the public key embedded in the peer id sender (Ed25519 ids
// embed it); an id that embeds no key, or does not parse, verifies nothing.
func VerifyPeerSig(sender string, msg, sig []byte) bool {
	id, err := peer.Decode(sender)
	if err != nil {
		return false
	}
	pub, err := id.ExtractPublicKey()
	if err != nil {
		return false
	}
	ok, err := pub.Verify(msg, sig)
	return err == nil && ok
}

// Signer adapts a libp2p private key to Deps.Sign. A key that cannot sign gives an empty
// signature, which every receiver rejects.
func Signer(key crypto.PrivKey) func(msg []byte) []byte {
	return func(msg []byte) []byte {
		sig, err := key.Sign(msg)
		if err != nil {
			return nil
		}
		return sig
	}
}
