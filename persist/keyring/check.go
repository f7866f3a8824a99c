package keyring

import (
	"bytes"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
)

// CheckKey is the KeyCheck record's key in persist.Meta.
const CheckKey = "key_check"

// checkPurpose and checkPlaintext make the known plaintext the record seals.
const checkPurpose = "key_check"

var checkPlaintext = []byte("meshhold at-rest key check v1")

// Errors of the start check.
var (
	// ErrKeyMismatch means the master key does not open the store's KeyCheck record.
	ErrKeyMismatch = errors.New("keyring: the master key does not match the one this store was sealed with")
	// ErrModeChanged means at_rest_encryption.enabled differs from the store's first start.
	ErrModeChanged = errors.New("keyring: at_rest_encryption.enabled differs from when this store was created")
)

func readCheck(store persist.Store) (*storev1.KeyCheck, error) {
	var rec *storev1.KeyCheck
	err := persist.ReadWith(store, func(v persist.View) error {
		b, ok := v.Get(persist.Meta, CheckKey)
		if !ok {
			return nil
		}
		rec = &storev1.KeyCheck{}
		return proto.Unmarshal(b, rec)
	})
	if err != nil {
		return nil, fmt.Errorf("keyring: read %s record: %w", CheckKey, err)
	}
	return rec, nil
}

func writeCheck(store persist.Store, rec *storev1.KeyCheck) error {
	b, err := proto.Marshal(rec)
	if err != nil {
		return fmt.Errorf("keyring: encode %s record: %w", CheckKey, err)
	}
	if err := store.Commit([]persist.Write{{Bucket: persist.Meta, Key: CheckKey, Value: b}}); err != nil {
		return fmt.Errorf("keyring: write %s record: %w", CheckKey, err)
	}
	return nil
}

// openDisabled returns an identity keyring, recording provider none at the first start so that
// enabling protection later on this store is detected.
func openDisabled(prev *storev1.KeyCheck, store persist.Store) (*Keyring, error) {
	if prev == nil {
		if err := writeCheck(store, &storev1.KeyCheck{Provider: ProviderNone}); err != nil {
			return nil, err
		}
	} else if prev.GetProvider() != ProviderNone {
		return nil, fmt.Errorf("%w: this store's secrets are sealed with a master key (provider %s) and cannot be read with at_rest_encryption.enabled: false; set it back to true with the same key", ErrModeChanged, prev.GetProvider())
	}
	return &Keyring{provider: ProviderNone}, nil
}

// openEnabled obtains the master key and proves it against prev, or seals a new check record.
func openEnabled(cfg Config, prev *storev1.KeyCheck, store persist.Store) (*Keyring, error) {
	if prev != nil && prev.GetProvider() == ProviderNone {
		return nil, fmt.Errorf("%w: this store was created with at_rest_encryption.enabled: false, so the secrets already in it are unsealed and would not open once sealing is on (there is no re-sealing migration yet): keep enabled: false, or start a new metadata folder with it on", ErrModeChanged)
	}
	master, salt, err := obtainKey(cfg, prev)
	if err != nil {
		return nil, err
	}
	k := newKeyring(cfg.Provider, master)
	if prev == nil {
		sealed, err := k.Seal(checkPurpose, checkPlaintext)
		if err != nil {
			return nil, err
		}
		rec := &storev1.KeyCheck{Provider: cfg.Provider, Sealed: sealed, Salt: salt}
		if cfg.Provider == ProviderPassphrase {
			kdfOf(nil).record(rec)
		}
		if err := writeCheck(store, rec); err != nil {
			return nil, err
		}
		return k, nil
	}
	if pt, err := k.Open(checkPurpose, prev.GetSealed()); err != nil || !bytes.Equal(pt, checkPlaintext) {
		return nil, fmt.Errorf("%w (store sealed by provider %s; this start used %s): use the key, key file or passphrase the store was created with — a new key is never adopted silently", ErrKeyMismatch, prev.GetProvider(), cfg.source())
	}
	if prev.GetProvider() != cfg.Provider {
		// The same key from another provider (a key file moved into an environment variable):
		// record the provider now in use, keeping the salt.
		rec := &storev1.KeyCheck{Provider: cfg.Provider, Sealed: prev.GetSealed(), Salt: salt}
		if len(salt) > 0 {
			kdfOf(prev).record(rec)
		}
		if err := writeCheck(store, rec); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// obtainKey gets the master key from cfg's provider, and the passphrase salt: the store's, or a
// new one at the first start. A key file is created only at the first start.
func obtainKey(cfg Config, prev *storev1.KeyCheck) (*[keySize]byte, []byte, error) {
	salt := prev.GetSalt()
	switch cfg.Provider {
	case ProviderFile:
		k, err := loadKeyFile(cfg.KeyFile, prev == nil)
		return k, salt, err
	case ProviderEnv:
		k, err := loadEnvKey(cfg.Env)
		return k, salt, err
	case ProviderPassphrase:
		if prev != nil && len(salt) == 0 {
			return nil, nil, fmt.Errorf("%w (store sealed by provider %s, which keeps no passphrase salt; this start used %s): go back to provider %s", ErrKeyMismatch, prev.GetProvider(), cfg.source(), prev.GetProvider())
		}
		if prev == nil {
			var err error
			if salt, err = newSalt(); err != nil {
				return nil, nil, err
			}
		}
		k, err := loadPassphraseKey(cfg.Env, salt, kdfOf(prev))
		return k, salt, err
	}
	return nil, nil, fmt.Errorf("keyring: at_rest_encryption.provider: unknown provider %q", cfg.Provider)
}
