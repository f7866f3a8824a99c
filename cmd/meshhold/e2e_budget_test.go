package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// An untrusted node keeps to storage.untrusted_budget: at 0 it stores none of a vault's blocks
// and says why in the vault's info; given room, it holds them.
func TestUntrustedHoldingKeepsToItsBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("starts daemons")
	}
	key := keygen(t)
	a := startFirstMeshNode(t, "alpha", key)
	resp, v := a.send("POST", "/vaults", map[string]any{"name": "Archive", "replication_factor": 2}, a.tok...)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %v", resp.StatusCode, v)
	}
	id := v["id"].(string)
	body := strings.Repeat("budgeted bytes. ", 80000) // ~1.3 MiB: repeated, so two distinct blocks
	req, _ := http.NewRequest("POST", a.api+"/vaults/"+id+"/upload/big.bin", strings.NewReader(body))
	req.Header.Set(a.tok[0], a.tok[1])
	up, err := http.DefaultClient.Do(req)
	if err != nil || up.StatusCode != 201 {
		t.Fatalf("upload: %v %v", up, err)
	}
	up.Body.Close()

	c := startMeshNodeWith(t, "charlie", key, "storage:\n  untrusted_budget: 0\n", a.addr(t))
	eventually(t, 20*time.Second, "charlie's info says its budget pauses the vault", func() (bool, string) {
		resp, info := c.call("GET", "/vaults/"+id+"/info", nil, c.tok...)
		rep, _ := info["replicas"].(map[string]any)
		return resp.StatusCode == 200 && strings.Contains(fmt.Sprint(rep["note"]), "storage.untrusted_budget"), fmt.Sprint(resp.StatusCode, info)
	})
	if files := blockFiles(t, c); len(files) != 0 {
		t.Fatalf("charlie stores %d block files over a budget of 0", len(files))
	}
	c.stop()
	src, err := os.ReadFile(c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.cfg, []byte(strings.Replace(string(src), "untrusted_budget: 0", "untrusted_budget: 1GiB", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	c.restart(t, false)
	eventually(t, 30*time.Second, "charlie holds the vault's blocks within a 1 GiB budget", func() (bool, string) {
		_, info := c.call("GET", "/vaults/"+id+"/info", nil, c.tok...)
		rep, _ := info["replicas"].(map[string]any)
		n := len(blockFiles(t, c))
		return n > 0 && !strings.Contains(fmt.Sprint(rep["note"]), "budget"), fmt.Sprintf("%d block files; %v", n, info)
	})
}
