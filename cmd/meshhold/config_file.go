package main

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"

	"github.com/meshhold/meshhold/persist/configfile"
)

//go:embed default-config.yaml
var defaultConfigYAML []byte

// createDefaultConfig writes the commented default config to path (mode 0600) and returns it.
func createDefaultConfig(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create config folder: %w", err)
	}
	if err := configfile.WriteAtomic(path, defaultConfigYAML, 0o600); err != nil {
		return nil, fmt.Errorf("create config %s: %w", path, err)
	}
	return defaultConfigYAML, nil
}
