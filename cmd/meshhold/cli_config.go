package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// savedTokenFile holds the API token `meshhold token create --save` wrote (mode 0600); client
// commands use it when no other credentials are given.
const savedTokenFile = "cli.token"

// clientConfig reads the config a client command names without creating it: a missing file
// means the defaults, which is what the daemon would create there.
func clientConfig(path string) (Config, error) {
	src, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	return parseConfig(path, src)
}

// savedTokenPath is <metadata_dir>/cli.token.
func savedTokenPath(cfg Config) string {
	return filepath.Join(cfg.Node.MetadataDir, savedTokenFile)
}
