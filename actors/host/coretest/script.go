package coretest

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output in testdata/*.txt")

// Scripts runs the script files matching glob: blocks separated by blank lines, each a command
// (its earlier lines may be # comments), a "----" line, and the output run must give. With
// -rewrite the files are rewritten with what run gave instead. newRun gives each file a fresh
// runner.
func Scripts(t *testing.T, glob string, newRun func(t *testing.T) func(cmd string) string) {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no script files match %s (%v)", glob, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			run := newRun(t)
			var got strings.Builder
			for _, block := range strings.Split(strings.TrimSpace(string(src)), "\n\n") {
				cmd, want, _ := strings.Cut(block+"\n", "\n----\n")
				out := run(cmd)
				got.WriteString(cmd + "\n----\n" + out + "\n\n")
				if !*rewrite && strings.TrimSpace(want) != out {
					t.Errorf("%s\n----\ngot:\n%s\nwant:\n%s", cmd, out, want)
				}
			}
			if *rewrite {
				if err := os.WriteFile(file, []byte(strings.TrimSuffix(got.String(), "\n")), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
