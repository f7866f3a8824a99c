package vault_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/actors/host/coretest"
	"github.com/meshhold/meshhold/actors/vault"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

const (
	nodeID  = "12D3KooWnode"
	vaultID = "v1"
)

var (
	testKey  = messages.VaultKey{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	otherKey = messages.VaultKey{9, 9, 9}
)

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

// rig drives the registry and one vault over one store, as on one node.
type rig struct {
	t   *testing.T
	reg *coretest.Driver
	v   *coretest.Driver
}

func newRig(t *testing.T) *rig {
	t.Helper()
	reg := coretest.New(t, messages.VaultsKind+"/"+messages.RegistryID, vault.LoadRegistry)
	v := &coretest.Driver{T: t, Entity: messages.VaultKind + "/" + vaultID, Store: reg.Store, Now: reg.Now,
		Load: vault.Load(vault.Deps{Unseal: unseal, NodeID: nodeID})}
	v.Reload()
	return &rig{t: t, reg: reg, v: v}
}

// create makes vault v1 through the registry and reloads its actor.
func (r *rig) create(policy messages.VaultPolicy, password bool) {
	r.t.Helper()
	cmd := messages.CreateVault{ID: vaultID, Name: "Photos", Policy: policy}
	if password {
		cmd.Wrap = testWrap()
	} else {
		cmd.SealedKey = seal(messages.VaultKeyPurpose(vaultID), testKey[:])
	}
	if _, err := asErr(r.reg.Step(cmd)); err != nil {
		r.t.Fatalf("create: %v", err)
	}
	r.v.Reload()
	if password {
		r.step(messages.UnlockVault{Key: testKey})
	}
	r.v.Events = nil
}

func testWrap() *messages.KeyWrap {
	return &messages.KeyWrap{Salt: make([]byte, 16), Time: 1, MemoryKiB: 8 << 10, Threads: 1, Wrapped: make([]byte, vaultcrypt.WrappedKeySize)}
}

// step sends msg to the vault and fails the test on an error reply.
func (r *rig) step(msg any) any {
	r.t.Helper()
	reply := r.v.Step(msg)
	if err, ok := reply.(error); ok {
		r.t.Fatalf("%T: %v", msg, err)
	}
	return reply
}

// stepErr sends msg to the vault and returns its error reply, failing the test on success.
func (r *rig) stepErr(msg any) error {
	r.t.Helper()
	reply := r.v.Step(msg)
	err, ok := reply.(error)
	if !ok {
		r.t.Fatalf("%T: want an error, got %#v", msg, reply)
	}
	return err
}

func asErr(reply any) (any, error) {
	if err, ok := reply.(error); ok {
		return nil, err
	}
	return reply, nil
}

// manifest seals content in blocks of blockSize bytes, as an upload would.
func manifest(content string, blockSize int) messages.Manifest {
	m := messages.Manifest{Size: int64(len(content)), ContentHash: vaultcrypt.ContentHash(testKey, []byte(content)), MD5: md5.Sum([]byte(content))}
	for rest := content; rest != ""; {
		n := min(blockSize, len(rest))
		_, ref := vaultcrypt.SealBlock(testKey, []byte(rest[:n]))
		m.Blocks = append(m.Blocks, ref)
		rest = rest[n:]
	}
	return m
}

// hashOf is the hex content hash of content.
func hashOf(content string) string {
	h := vaultcrypt.ContentHash(testKey, []byte(content))
	return fmt.Sprintf("%x", h)
}

// put uploads content to path (begin, then commit) and returns the new FileInfo.
func (r *rig) put(path, content string) messages.FileInfo {
	r.t.Helper()
	r.step(messages.BeginUpload{Path: path, Size: int64(len(content))})
	return r.step(messages.CommitUpload{Path: path, Manifest: manifest(content, 4), ContentType: "text/plain"}).(messages.FileInfo)
}

// events lists the vault's events since the last call as "type" strings.
func (r *rig) events() string {
	var out []string
	for _, ev := range r.v.Events {
		out = append(out, ev.Type)
	}
	r.v.Events = nil
	return strings.Join(out, " ")
}

// later moves the vault's clock forward.
func (r *rig) later(d time.Duration) { r.v.Now = r.v.Now.Add(d) }

// wake delivers a timer.
func (r *rig) wake(key string) any { return r.v.Step(host.Wake{Key: key}) }

func (r *rig) usage() messages.VaultUsage {
	return r.step(messages.GetVault{}).(messages.VaultStatus).Usage
}

func hexDecode(dst []byte, s string) (int, error) { return hex.Decode(dst, []byte(s)) }
