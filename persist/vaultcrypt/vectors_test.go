package vaultcrypt

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshhold/meshhold/messages"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json from the current code")

// vectors pins every format byte for byte: a change to any of them breaks stored vaults.
type vectors struct {
	Blocks  []blockVector  `json:"blocks"`
	Content []contentVec   `json:"content"`
	Records []recordVector `json:"records"`
	Wraps   []wrapVector   `json:"wraps"`
}

type blockVector struct {
	Key        string `json:"key"`
	Plaintext  string `json:"plaintext,omitempty"` // hex; or Pattern with Len
	Pattern    string `json:"pattern,omitempty"`
	Len        int    `json:"len,omitempty"`
	Secret     string `json:"secret"`
	Addr       string `json:"addr"`
	Ciphertext string `json:"ciphertext,omitempty"` // only for short blocks
}

type contentVec struct {
	Key         string `json:"key"`
	Pattern     string `json:"pattern"`
	Len         int    `json:"len"`
	ContentHash string `json:"content_hash"`
	MD5         string `json:"md5"`
}

type recordVector struct {
	Key       string `json:"key"`
	Plaintext string `json:"plaintext"`
	Sealed    string `json:"sealed"`
}

type wrapVector struct {
	Password string   `json:"password"`
	Salt     string   `json:"salt"`
	Costs    KDFCosts `json:"costs"`
	KEK      string   `json:"kek"`
	Key      string   `json:"key"`
	Nonce    string   `json:"nonce"`
	Wrapped  string   `json:"wrapped"`
}

// pattern repeats text up to n bytes.
func pattern(text string, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = text[i%len(text)]
	}
	return out
}

func testKey(fill byte) messages.VaultKey {
	var k messages.VaultKey
	for i := range k {
		k[i] = fill + byte(i)
	}
	return k
}

func hexKey(k messages.VaultKey) string { return hex.EncodeToString(k[:]) }

func computeVectors(t *testing.T) vectors {
	var v vectors
	k1, k2 := testKey(0x00), testKey(0x80)
	for _, c := range []struct {
		key  messages.VaultKey
		text []byte
		pat  string
		n    int
	}{
		{k1, []byte{}, "", 0},
		{k1, []byte("a"), "", 0},
		{k1, []byte("hello, vault"), "", 0},
		{k2, []byte("hello, vault"), "", 0},
		{k1, pattern("0123456789abcdef", 1000), "0123456789abcdef", 1000},
		{k1, pattern("meshhold block ", 512<<10), "meshhold block ", 512 << 10},
		{k2, pattern("meshhold block ", 4<<20), "meshhold block ", 4 << 20},
	} {
		ct, ref := SealBlock(c.key, c.text)
		bv := blockVector{Key: hexKey(c.key), Secret: hex.EncodeToString(ref.Secret[:]), Addr: ref.Addr.String()}
		if c.pat == "" {
			bv.Plaintext = hex.EncodeToString(c.text)
		} else {
			bv.Pattern, bv.Len = c.pat, c.n
		}
		if len(ct) <= 2048 {
			bv.Ciphertext = hex.EncodeToString(ct)
		}
		v.Blocks = append(v.Blocks, bv)
	}
	for _, n := range []int{0, 1, 64, 1 << 20} {
		data := pattern("content ", n)
		ch, sum := ContentHash(k1, data), md5.Sum(data)
		v.Content = append(v.Content, contentVec{Key: hexKey(k1), Pattern: "content ", Len: n,
			ContentHash: hex.EncodeToString(ch[:]), MD5: hex.EncodeToString(sum[:])})
	}
	for _, c := range []struct {
		key  messages.VaultKey
		text string
	}{{k1, ""}, {k1, "version record"}, {k2, "version record"}} {
		v.Records = append(v.Records, recordVector{Key: hexKey(c.key), Plaintext: hex.EncodeToString([]byte(c.text)),
			Sealed: hex.EncodeToString(SealRecord(c.key, []byte(c.text)))})
	}
	costs := KDFCosts{Time: 1, MemoryKiB: 8 << 10, Threads: 1}
	salt := pattern("salt", 16)
	kek, err := DeriveKEK("correct horse", salt, costs)
	if err != nil {
		t.Fatal(err)
	}
	nonce := [12]byte(pattern("nonce", 12))
	v.Wraps = append(v.Wraps, wrapVector{Password: "correct horse", Salt: hex.EncodeToString(salt), Costs: costs,
		KEK: hex.EncodeToString(kek[:]), Key: hexKey(k2), Nonce: hex.EncodeToString(nonce[:]),
		Wrapped: hex.EncodeToString(wrapWithNonce(kek, k2, nonce))})
	return v
}

// TestGoldenVectors fails when any format changes; -update rewrites the file (review the diff).
func TestGoldenVectors(t *testing.T) {
	got := computeVectors(t)
	path := filepath.Join("testdata", "vectors.json")
	if *update {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want vectors
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Fatalf("formats changed:\n got %s\nwant %s", gb, wb)
	}
}

// TestVectorsOpen opens every stored vector with the public API, independent of sealing.
func TestVectorsOpen(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	unhex := func(s string) []byte {
		out, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for i, bv := range v.Blocks {
		if bv.Ciphertext == "" {
			continue
		}
		var ref messages.BlockRef
		copy(ref.Addr[:], unhex(bv.Addr))
		copy(ref.Secret[:], unhex(bv.Secret))
		want := unhex(bv.Plaintext)
		if bv.Pattern != "" {
			want = pattern(bv.Pattern, bv.Len)
		}
		ref.Size = uint32(len(want))
		pt, err := OpenBlock(ref, unhex(bv.Ciphertext))
		if err != nil || string(pt) != string(want) {
			t.Errorf("block %d: %q %v", i, pt, err)
		}
	}
	for i, rv := range v.Records {
		pt, err := OpenRecord(messages.VaultKey(unhex(rv.Key)), unhex(rv.Sealed))
		if err != nil || string(pt) != string(unhex(rv.Plaintext)) {
			t.Errorf("record %d: %q %v", i, pt, err)
		}
	}
	for i, wv := range v.Wraps {
		kek, err := DeriveKEK(wv.Password, unhex(wv.Salt), wv.Costs)
		if err != nil {
			t.Fatal(err)
		}
		key, err := UnwrapKey(kek, unhex(wv.Wrapped))
		if err != nil || hexKey(key) != wv.Key {
			t.Errorf("wrap %d: %v", i, err)
		}
	}
}
