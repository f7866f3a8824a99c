package keyring

import (
	"fmt"
	"path/filepath"
	"regexp"
)

// The master key providers.
const (
	// ProviderFile reads the master key from a key file, created at the first start.
	ProviderFile = "file"
	// ProviderEnv reads the master key, 64 hex characters, from an environment variable.
	ProviderEnv = "env"
	// ProviderPassphrase derives the master key with argon2id from a passphrase in an
	// environment variable.
	ProviderPassphrase = "passphrase"
	// ProviderNone is what Status and the key check record say when protection is disabled.
	ProviderNone = "none"
)

// Defaults of Config.
const (
	// DefaultKeyFileName is the key file inside the metadata folder.
	DefaultKeyFileName = "master.key"
	// DefaultKeyEnv holds the hex master key for provider env.
	DefaultKeyEnv = "MESHHOLD_MASTER_KEY"
	// DefaultPassphraseEnv holds the passphrase for provider passphrase.
	DefaultPassphraseEnv = "MESHHOLD_MASTER_PASSPHRASE"
)

// Config is the at_rest_encryption section of config.yaml.
type Config struct {
	// Enabled turns sealing on; when false secrets are stored as they are.
	Enabled bool `yaml:"enabled"`
	// Provider is how the master key is obtained: file (default), env or passphrase.
	Provider string `yaml:"provider"`
	// KeyFile is the master key file of provider file; default <metadata_dir>/master.key.
	KeyFile string `yaml:"key_file"`
	// Env names the environment variable holding the hex key (provider env, default
	// MESHHOLD_MASTER_KEY) or the passphrase (provider passphrase, default
	// MESHHOLD_MASTER_PASSPHRASE).
	Env string `yaml:"env"`
}

// Defaults fills the unset fields the chosen provider uses.
func (c *Config) Defaults(metadataDir string) {
	if c.Provider == "" {
		c.Provider = ProviderFile
	}
	switch c.Provider {
	case ProviderFile:
		if c.KeyFile == "" {
			c.KeyFile = filepath.Join(metadataDir, DefaultKeyFileName)
		}
	case ProviderEnv:
		if c.Env == "" {
			c.Env = DefaultKeyEnv
		}
	case ProviderPassphrase:
		if c.Env == "" {
			c.Env = DefaultPassphraseEnv
		}
	}
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate checks the section after Defaults, naming the offending key.
func (c Config) Validate() error {
	switch c.Provider {
	case ProviderFile:
		if c.KeyFile == "" {
			return fmt.Errorf("at_rest_encryption.key_file: required with provider file")
		}
		if c.Env != "" {
			return fmt.Errorf("at_rest_encryption.env: not used by provider file (it reads key_file)")
		}
	case ProviderEnv, ProviderPassphrase:
		if c.KeyFile != "" {
			return fmt.Errorf("at_rest_encryption.key_file: not used by provider %s (it reads env)", c.Provider)
		}
		if !envName.MatchString(c.Env) {
			return fmt.Errorf("at_rest_encryption.env: %q is not an environment variable name", c.Env)
		}
	default:
		return fmt.Errorf("at_rest_encryption.provider: unknown provider %q (want file, env or passphrase)", c.Provider)
	}
	return nil
}

// source describes where the master key comes from, for error messages (never the key).
func (c Config) source() string {
	switch c.Provider {
	case ProviderFile:
		return fmt.Sprintf("provider file, key file %s", c.KeyFile)
	case ProviderEnv:
		return fmt.Sprintf("provider env, variable %s", c.Env)
	case ProviderPassphrase:
		return fmt.Sprintf("provider passphrase, variable %s", c.Env)
	}
	return "provider " + c.Provider
}
