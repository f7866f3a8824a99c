package keyring

import (
	"crypto/rand"
	"fmt"
	"os"

	"golang.org/x/crypto/argon2"

	"github.com/meshhold/meshhold/messages/storev1"
)

// saltSize is the argon2id salt's length, kept in the KeyCheck record.
const saltSize = 16

// kdfParams are argon2id's costs.
type kdfParams struct {
	time      uint32
	memoryKiB uint32
	threads   uint8
}

// kdf is the cost for new stores: about 70 ms warm, 250 ms cold, on the project's 2-vCPU
// machine. Tests lower it. The KeyCheck record keeps the cost a store was created with.
var kdf = kdfParams{time: 3, memoryKiB: 64 << 10, threads: 2}

// kdfOf returns the costs recorded in a store's check record, or the current ones for a new
// store (or a record written before costs were recorded).
func kdfOf(rec *storev1.KeyCheck) kdfParams {
	if rec.GetKdfTime() == 0 {
		return kdf
	}
	return kdfParams{time: rec.GetKdfTime(), memoryKiB: rec.GetKdfMemoryKib(), threads: uint8(rec.GetKdfThreads())}
}

// record writes the costs into a check record.
func (p kdfParams) record(rec *storev1.KeyCheck) {
	rec.KdfTime, rec.KdfMemoryKib, rec.KdfThreads = p.time, p.memoryKiB, uint32(p.threads)
}

// newSalt returns a fresh argon2id salt.
func newSalt() ([]byte, error) {
	s := make([]byte, saltSize)
	if _, err := rand.Read(s); err != nil {
		return nil, fmt.Errorf("keyring: generate salt: %w", err)
	}
	return s, nil
}

// loadPassphraseKey derives the master key from the passphrase in the environment variable
// name and salt.
func loadPassphraseKey(name string, salt []byte, p kdfParams) (*[keySize]byte, error) {
	pass, ok := os.LookupEnv(name)
	if !ok || pass == "" {
		return nil, fmt.Errorf("%w: environment variable %s is not set; provider passphrase wants the passphrase there", ErrMissingKey, name)
	}
	return deriveKey([]byte(pass), salt, p), nil
}

// deriveKey runs argon2id over passphrase and salt with costs p.
func deriveKey(passphrase, salt []byte, p kdfParams) *[keySize]byte {
	var k [keySize]byte
	copy(k[:], argon2.IDKey(passphrase, salt, p.time, p.memoryKiB, p.threads, keySize))
	return &k
}
