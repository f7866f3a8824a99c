package keyring

import (
	"fmt"
	"os"
)

// loadEnvKey reads the master key, 64 hex characters, from the environment variable name.
func loadEnvKey(name string) (*[keySize]byte, error) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return nil, fmt.Errorf("%w: environment variable %s is not set; provider env wants the master key there as 64 hex characters (for a new store: openssl rand -hex 32)", ErrMissingKey, name)
	}
	k, err := parseHexKey(v)
	if err != nil {
		return nil, fmt.Errorf("%w: environment variable %s does not hold 64 hex characters (32 bytes)", err, name)
	}
	return k, nil
}
