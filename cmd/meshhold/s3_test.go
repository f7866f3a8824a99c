package main

import (
	"strings"
	"testing"
)

// node.s3 parses from config.yaml, zero fields take the defaults, and bad values are refused
// with the key's name.
func TestS3ConfigDefaults(t *testing.T) {
	c, err := parseConfig("/tmp/meshhold-s3-test/config.yaml", []byte("node:\n  s3:\n    enabled: true\n    max_put_bytes: 8MiB\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Node.S3.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if !s.Enabled || s.ListenAddr != "127.0.0.1:3900" || s.Region != "meshhold" || s.MaxPutBytes != 8<<20 {
		t.Fatalf("node.s3 with defaults: %+v", s)
	}
	if s, _ := (S3Config{}).withDefaults(); s.MaxPutBytes != 64<<20 {
		t.Fatalf("default max_put_bytes: %d", s.MaxPutBytes)
	}
	if _, err := (S3Config{ListenAddr: "no-port"}).withDefaults(); err == nil || !strings.Contains(err.Error(), "node.s3.listen_addr") {
		t.Fatalf("listen_addr without a port: %v", err)
	}
	if _, err := (S3Config{MaxPutBytes: -1}).withDefaults(); err == nil || !strings.Contains(err.Error(), "node.s3.max_put_bytes") {
		t.Fatalf("negative max_put_bytes: %v", err)
	}
}
