package blocks_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/blocks"
	"github.com/meshhold/meshhold/p2p/mesh"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/blockstore"
)

// testPSK is the swarm key of the meshes in these tests.
var testPSK = bytes.Repeat([]byte{0x42}, 32)

// startMesh starts a mesh on loopback with the test swarm key, closed at the end of the test.
func startMesh(tb testing.TB, bootstrap ...string) *mesh.Mesh {
	tb.Helper()
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := mesh.Start(mesh.Config{
		PrivKey:     key,
		PSK:         testPSK,
		ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"},
		Bootstrap:   bootstrap,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = m.Close() })
	return m
}

// meshPair starts two meshes, the second bootstrapping from the first, and waits until they
// are connected.
func meshPair(tb testing.TB) (a, b *mesh.Mesh) {
	tb.Helper()
	a = startMesh(tb)
	b = startMesh(tb, loopbackAddr(tb, a))
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(b.Peers(), a.Self()) || !slices.Contains(a.Peers(), b.Self()) {
		if time.Now().After(deadline) {
			tb.Fatal("the two meshes did not connect")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return a, b
}

func loopbackAddr(tb testing.TB, m p2p.Transport) string {
	tb.Helper()
	for _, addr := range m.Addrs() {
		if bytes.HasPrefix([]byte(addr), []byte("/ip4/127.0.0.1/tcp/")) {
			return addr
		}
	}
	tb.Fatalf("no loopback address in %v", m.Addrs())
	return ""
}

// fillStore writes n random blocks of size bytes into st and returns their addresses.
func fillStore(tb testing.TB, st persist.BlockStore, first, n, size int) []persist.Address {
	tb.Helper()
	addrs := make([]persist.Address, n)
	for i := range n {
		data := block(first+i, size)
		addrs[i] = persist.AddressOf(data)
		if err := st.Put(addrs[i], data); err != nil {
			tb.Fatal(err)
		}
	}
	return addrs
}

func openBlockstore(tb testing.TB) *blockstore.Store {
	tb.Helper()
	st, err := blockstore.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// TestOverTheMesh moves 64 MiB of 4 MiB blocks between two real meshes with a swarm key, from
// block files to block files, both ways.
func TestOverTheMesh(t *testing.T) {
	a, b := meshPair(t)
	storeA, storeB := openBlockstore(t), openBlockstore(t)
	addrs := fillStore(t, storeA, 0, 16, 4<<20)
	stopA := blocks.Serve(a, storeA, blocks.ServerConfig{})
	defer stopA()
	stopB := blocks.Serve(b, storeB, blocks.ServerConfig{})
	defer stopB()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	res, err := blocks.Fetch(ctx, b, a.Self(), addrs, storeB)
	if err != nil || !slices.Equal(res.Got, addrs) || res.Bytes != 64<<20 {
		t.Fatalf("fetch: got %d blocks, %d bytes: %v", len(res.Got), res.Bytes, err)
	}
	for _, addr := range addrs {
		if _, err := storeB.Get(addr); err != nil { // Get verifies the bytes against the address
			t.Fatal(err)
		}
	}
	if err := storeB.Sync(); err != nil {
		t.Fatal(err)
	}

	more := fillStore(t, storeA, 100, 3, 512<<10)
	pres, err := blocks.Push(ctx, a, b.Self(), append(more, addrs...), storeA)
	if err != nil || !slices.Equal(pres.Sent, more) || !slices.Equal(pres.Held, addrs) {
		t.Fatalf("push: sent %d held %d: %v", len(pres.Sent), len(pres.Held), err)
	}
	held, err := blocks.Have(ctx, a, b.Self(), append(more, addrs...))
	if err != nil || slices.Contains(held, false) {
		t.Fatalf("have after push: %v, %v", held, err)
	}
}
