// Command meshhold is the MeshHold daemon and its command-line tools.
package main

import (
	"fmt"
	"os"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	if err := rootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "meshhold:", err)
		os.Exit(1)
	}
}
