package scenarios

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"slices"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/simulations/sim"
)

// tamper sends one forged or corrupted envelope to a running node, straight into a receive
// (whose reply must refuse it) or into its gossip inbox among genuine copies. None may ever be
// stored anywhere: checkStore fails on any envelope its sender did not commit.
func (w *roomWorld) tamper() {
	target := sim.Pick(w.forge, w.up(w.nodes))
	if len(w.order) == 0 || target == nil {
		return
	}
	t := w.truth[sim.Pick(w.forge, w.order)]
	e := cloneEnvelope(t.env)
	var kind string
	switch w.forge.IntN(6) {
	case 0:
		kind = roomTamperBody
		e.Body[w.forge.IntN(len(e.Body))] ^= 1 << w.forge.IntN(8)
	case 1:
		kind = roomTamperHeader
		switch w.forge.IntN(3) {
		case 0:
			e.TsMs += 1 + int64(w.forge.IntN(1000))
		case 1:
			e.Seq++
		default:
			e.Prev[w.forge.IntN(len(e.Prev))] ^= 1
		}
	case 2:
		kind = roomForgedHeld // another text under the room key, signed by a key not the sender's
		w.sealForged(&e)
		e.Sig = ed25519.Sign(w.evil, e.Signed())
	case 3:
		kind = roomForgedNext // the sender's next link, perfectly chained, signed by another key
		last := w.truth[w.last[e.Sender]]
		e.Seq, e.Prev, e.TsMs = w.last[e.Sender].seq+1, last.hash, max(w.clock(target).UnixMilli(), last.ts+1)
		w.sealForged(&e)
		e.Sig = ed25519.Sign(w.evil, e.Signed())
	case 4:
		if target.relay { // a relay cannot tell junk from a message: only members can refuse it
			if target = sim.Pick(w.forge, w.up(w.members())); target == nil {
				return
			}
		}
		kind = roomJunkRefused // validly signed by its own sender, but not sealed under the room key
		e = messages.ChatEnvelope{RoomID: w.id, Sender: roomForger, Seq: 1, TsMs: w.clock(target).UnixMilli(), Body: make([]byte, 40)}
		for i := range e.Body {
			e.Body[i] = byte(w.forge.Uint32())
		}
		e.Sig = ed25519.Sign(w.evil, e.Signed())
	default:
		raw := t.env.Marshal()
		raw[w.forge.IntN(len(raw))] ^= 1 << w.forge.IntN(8)
		got, err := messages.UnmarshalChatEnvelope(raw)
		if err != nil {
			sim.Sometimes(roomCorruptWire) // refused by the wire decoder
			w.run.Trace.At(w.now, target.name, 0, "corrupt in transit", "undecodable", nil)
			return
		}
		kind, e = roomCorruptWire, got
	}
	hash := e.Hash()
	if hash != t.hash {
		w.forged[hash] = true
	}
	w.run.Trace.At(w.now, target.name, 0, "forged", kind, hash[:])
	if w.forge.IntN(2) == 0 {
		target.inbox = append(target.inbox, roomMail{at: w.now, from: roomForger, env: e})
		return
	}
	rep, ok := w.receive(target, roomForger, []messages.ChatEnvelope{e}, 1, false)
	switch {
	case !ok:
	case rep.Added != 0 || (hash != t.hash && rep.Rejected != 1):
		w.fail("%s: %s: the forged envelope %s/%d was not refused: %+v", target.name, kind, e.Sender, e.Seq, rep)
	case rep.Rejected == 1:
		sim.Sometimes(kind)
	}
}

// sealForged gives e a new plaintext sealed under the room key (a member's key, stolen), with
// a fresh nonce and e's header as additional data, as the room seals.
func (w *roomWorld) sealForged(e *messages.ChatEnvelope) {
	for i := range e.Nonce {
		e.Nonce[i] = byte(w.forge.Uint32())
	}
	plain, _ := json.Marshal(messages.ChatBody{Type: messages.ChatTypeText, Text: roomMarker + " forged"})
	aead, err := chacha20poly1305.NewX(w.key[:])
	if err != nil {
		w.fail("forge: %v", err)
		return
	}
	e.Body = aead.Seal(nil, e.Nonce[:], plain, e.Header())
}

func cloneEnvelope(e messages.ChatEnvelope) messages.ChatEnvelope {
	e.Body, e.Sig = bytes.Clone(e.Body), slices.Clone(e.Sig)
	return e
}
