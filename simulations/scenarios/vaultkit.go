package scenarios

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
	"github.com/meshhold/meshhold/simulations/sim"
)

// The vault every scenario uses and its key.
const vaultID = "v1"

var vaultKey = messages.VaultKey{0x5e, 0xed, 1, 2, 3, 4, 5, 6, 7, 8}

// seal and unseal stand in for the keyring: "sealed:" ‖ purpose ‖ ":" ‖ plaintext.
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

// createVault is the registry command that makes the scenarios' vault.
func createVault(policy messages.VaultPolicy) messages.CreateVault {
	return messages.CreateVault{ID: vaultID, Name: "Sim", SealedKey: seal(messages.VaultKeyPurpose(vaultID), vaultKey[:]), Policy: policy}
}

// content draws a file body from a small pool of block-sized chunks, so that versions and
// paths share blocks (dedup, reference counts above one, orphans that come back).
func content(r *rand.Rand, blockSize int) string {
	var b strings.Builder
	for n := 1 + r.IntN(4); n > 0; n-- {
		b.WriteString(chunk(r.IntN(12), blockSize))
	}
	if r.IntN(3) == 0 {
		b.WriteString(fmt.Sprintf("tail-%03d", r.IntN(1000))[:1+r.IntN(7)]) // a short last block
	}
	return b.String()
}

func chunk(i, size int) string {
	unit := fmt.Sprintf("<chunk %02d>", i)
	return strings.Repeat(unit, size/len(unit)+1)[:size]
}

// sealed is an upload's blocks, sealed as the ingest pipeline seals them.
type sealed struct {
	manifest messages.Manifest
	blocks   [][]byte // ciphertexts, in manifest order
}

func sealContent(key messages.VaultKey, body string, blockSize int) sealed {
	m := messages.Manifest{Size: int64(len(body)), ContentHash: vaultcrypt.ContentHash(key, []byte(body)), MD5: md5.Sum([]byte(body))}
	var out sealed
	for rest := body; rest != ""; {
		n := min(blockSize, len(rest))
		ct, ref := vaultcrypt.SealBlock(key, []byte(rest[:n]))
		m.Blocks = append(m.Blocks, ref)
		out.blocks = append(out.blocks, ct)
		rest = rest[n:]
	}
	out.manifest = m
	return out
}

// hexHash is a content hash as commands take it.
func hexHash(h [32]byte) string { return fmt.Sprintf("%x", h) }

// readBody reads a version's blocks as the download path does: each verified against its
// address by the store, then authenticated and decrypted. Any missing or corrupt block is an
// error, never wrong bytes.
func readBody(bs persist.BlockStore, r messages.Readable) (string, error) {
	var b strings.Builder
	for i, ref := range r.Manifest.Blocks {
		ct, err := bs.Get(persist.Address(ref.Addr))
		if err != nil {
			return "", fmt.Errorf("block %d: %w", i, err)
		}
		plain, err := vaultcrypt.DecryptBlock(nil, ref, ct)
		if err != nil {
			return "", fmt.Errorf("block %d: %w", i, err)
		}
		b.Write(plain)
	}
	if int64(b.Len()) != r.Manifest.Size {
		return "", fmt.Errorf("read %d bytes, the manifest says %d", b.Len(), r.Manifest.Size)
	}
	return b.String(), nil
}

// blockStore is what an upload needs from the block store: the ingest pipeline's calls.
type blockStore interface {
	persist.BlockStore
	Touch(a persist.Address) error
}

// storeBlocks pins and stores an upload's blocks as http/files does (ingest_stages.go: pin,
// then Has; a present block is verified against its address and touched, a missing or
// damaged one is written) and returns the blocks it wrote.
func storeBlocks(bs blockStore, pin func(messages.BlockAddr), s sealed) (written []messages.BlockAddr, err error) {
	seen := map[messages.BlockAddr]bool{}
	for i, ref := range s.manifest.Blocks {
		if seen[ref.Addr] {
			continue
		}
		seen[ref.Addr] = true
		pin(ref.Addr)
		a := persist.Address(ref.Addr)
		has, err := bs.Has(a)
		if err != nil {
			return written, err
		}
		if has {
			if _, err := bs.Get(a); err != nil {
				sim.Sometimes("damaged dedup match rewritten")
				if err := bs.Delete(a); err != nil {
					return written, err
				}
				has = false
			}
		}
		if has {
			if err := bs.Touch(a); err != nil {
				return written, err
			}
			continue
		}
		if err := bs.Put(a, s.blocks[i]); err != nil {
			return written, err
		}
		written = append(written, ref.Addr)
	}
	return written, nil
}
