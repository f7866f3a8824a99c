package keyring

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaults(t *testing.T) {
	var c Config
	c.Defaults("/meta")
	if c.Provider != ProviderFile || c.KeyFile != filepath.Join("/meta", "master.key") || c.Env != "" {
		t.Fatalf("file defaults: %+v", c)
	}
	c = Config{Provider: ProviderEnv}
	c.Defaults("/meta")
	if c.Env != DefaultKeyEnv || c.KeyFile != "" {
		t.Fatalf("env defaults: %+v", c)
	}
	c = Config{Provider: ProviderPassphrase}
	c.Defaults("/meta")
	if c.Env != DefaultPassphraseEnv || c.KeyFile != "" {
		t.Fatalf("passphrase defaults: %+v", c)
	}
	for _, c := range []Config{{}, {Provider: ProviderEnv}, {Provider: ProviderPassphrase, Enabled: true}} {
		c.Defaults("/meta")
		if err := c.Validate(); err != nil {
			t.Fatalf("defaults of %+v do not validate: %v", c, err)
		}
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Provider: "tpm"}, "at_rest_encryption.provider: unknown provider"},
		{Config{Provider: ProviderFile}, "at_rest_encryption.key_file: required"},
		{Config{Provider: ProviderFile, KeyFile: "k", Env: "X"}, "at_rest_encryption.env: not used"},
		{Config{Provider: ProviderEnv, Env: "MY KEY"}, "at_rest_encryption.env:"},
		{Config{Provider: ProviderPassphrase}, "at_rest_encryption.env:"},
		{Config{Provider: ProviderEnv, Env: "K", KeyFile: "k"}, "at_rest_encryption.key_file: not used"},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want prefix %q", tc.cfg, err, tc.want)
		}
	}
}
