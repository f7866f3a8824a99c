package room_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meshhold/meshhold/actors/host/coretest"
	"github.com/meshhold/meshhold/actors/room"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
)

var testKey = messages.ChatKey{7, 7, 7, 1, 2, 3}

// seal stands in for the keyring: "sealed:" ‖ purpose ‖ ":" ‖ plaintext.
func seal(purpose string, plain []byte) []byte {
	return append([]byte("sealed:"+purpose+":"), plain...)
}

func unseal(purpose string, sealed []byte) ([]byte, error) {
	rest, ok := bytes.CutPrefix(sealed, []byte("sealed:"+purpose+":"))
	if !ok {
		return nil, errors.New("keyring: wrong purpose")
	}
	return bytes.Clone(rest), nil
}

// identity is a node's libp2p Ed25519 key, derived from seed so runs repeat.
type identity struct {
	id   string
	priv crypto.PrivKey
}

func newIdentity(t testing.TB, seed byte) identity {
	t.Helper()
	priv, _, err := crypto.GenerateEd25519Key(bytes.NewReader(bytes.Repeat([]byte{seed}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := peer.IDFromPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return identity{id: pid.String(), priv: priv}
}

// node is one daemon's registry and one room, over one store.
type node struct {
	t     testing.TB
	ident identity
	reg   *coretest.Driver
	room  *coretest.Driver
	nonce byte
}

// newNode starts a node; the room id is that of testKey with members.
func newNode(t testing.TB, ident identity, roomID string) *node {
	t.Helper()
	reg := coretest.New(t, messages.RoomsKind+"/"+messages.RegistryID, room.LoadRegistry)
	rd := &coretest.Driver{T: t, Entity: messages.RoomKind + "/" + roomID, Store: reg.Store, Now: reg.Now,
		Load: room.Load(room.Deps{Unseal: unseal, NodeID: ident.id, Sign: room.Signer(ident.priv), Verify: room.VerifyPeerSig})}
	rd.Reload()
	return &node{t: t, ident: ident, reg: reg, room: rd}
}

// join creates the room at the registry with its key.
func (n *node) join(roomID, name string, members []string) messages.RoomMeta {
	n.t.Helper()
	return must[messages.RoomMeta](n.t, n.reg.Step(messages.CreateRoom{ID: roomID, Name: name, Members: members,
		SealedKey: seal(messages.ChatKeyPurpose(roomID), testKey[:])}))
}

// at sets the clock of both cores.
func (n *node) at(ms int64) {
	n.reg.Now, n.room.Now = time.UnixMilli(ms), time.UnixMilli(ms)
}

func (n *node) send(text string) messages.ChatSent {
	n.t.Helper()
	n.nonce++
	return must[messages.ChatSent](n.t, n.room.Step(messages.SendMessage{
		Body: messages.ChatBody{Type: messages.ChatTypeText, Text: text}, Nonce: [24]byte{n.nonce}}))
}

func (n *node) receive(envs ...messages.ChatEnvelope) messages.ChatReceived {
	n.t.Helper()
	return must[messages.ChatReceived](n.t, n.room.Step(messages.ReceiveEnvelopes{From: "test", Envelopes: envs}))
}

func (n *node) status() messages.RoomStatus {
	n.t.Helper()
	return must[messages.RoomStatus](n.t, n.room.Step(messages.GetRoomStatus{}))
}

func (n *node) page(before string, limit int) messages.ChatPage {
	n.t.Helper()
	return must[messages.ChatPage](n.t, n.room.Step(messages.ListMessages{Before: before, Limit: limit}))
}

// all pages through the whole history, newest first, and renders each message as sender:text.
func (n *node) all(limit int) []string {
	n.t.Helper()
	var out []string
	cursor := ""
	for {
		p := n.page(cursor, limit)
		for _, m := range p.Messages {
			out = append(out, fmt.Sprintf("%s:%s", m.Sender[len(m.Sender)-4:], m.Text))
		}
		if p.Next == "" {
			return out
		}
		cursor = p.Next
	}
}

// since answers ChatSince with the given heads.
func (n *node) since(heads map[string]uint64, limit int) messages.ChatEnvelopes {
	n.t.Helper()
	return must[messages.ChatEnvelopes](n.t, n.room.Step(messages.ChatSince{Heads: heads, Limit: limit}))
}

// records renders every record of the store, values included, for plaintext scans.
func (n *node) records() string {
	n.t.Helper()
	var b strings.Builder
	snap, err := n.reg.Store.Snapshot()
	if err != nil {
		n.t.Fatal(err)
	}
	defer snap.Release()
	for _, bucket := range []persist.Bucket{persist.Rooms, persist.Chat, persist.Seqs} {
		snap.Scan(bucket, "", "", func(k string, v []byte) bool {
			fmt.Fprintf(&b, "%s %q %q\n", bucket, k, v)
			return true
		})
	}
	return b.String()
}

// chatKeys counts the room's records in persist.Chat.
func (n *node) chatRecords(roomID string) int {
	n.t.Helper()
	count := 0
	snap, err := n.reg.Store.Snapshot()
	if err != nil {
		n.t.Fatal(err)
	}
	defer snap.Release()
	snap.Scan(persist.Chat, "room/"+roomID+"/", "", func(string, []byte) bool { count++; return true })
	return count
}

// forge builds and signs an envelope as ident, with body sealed under key (nil: body as given).
func forge(t *testing.T, ident identity, env messages.ChatEnvelope, body *messages.ChatBody, key messages.ChatKey) messages.ChatEnvelope {
	t.Helper()
	env.Sender = ident.id
	if body != nil {
		env.Body = sealBody(t, key, env, *body)
	}
	env.Sig = room.Signer(ident.priv)(env.Signed())
	return env
}

func must[T any](t testing.TB, reply any) T {
	t.Helper()
	v, ok := reply.(T)
	if !ok {
		t.Fatalf("reply %T (%v), want %T", reply, reply, *new(T))
	}
	return v
}

func wantErr(t testing.TB, reply any, target error, contains string) {
	t.Helper()
	err, ok := reply.(error)
	if !ok {
		t.Fatalf("reply %T (%v), want an error", reply, reply)
	}
	if target != nil && !errors.Is(err, target) {
		t.Fatalf("error %q is not %v", err, target)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Fatalf("error %q does not say %q", err, contains)
	}
}
