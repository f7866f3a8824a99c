package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// blockFiles lists the block files under n's data folder, sorted.
func blockFiles(t *testing.T, n *meshNode) []string {
	t.Helper()
	root := filepath.Join(filepath.Dir(n.cfg), "data", "blocks")
	var out []string
	err := filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && e.Name() == "tmp" {
			return filepath.SkipDir
		}
		if !e.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// scrubbed asks n to scrub vault now and waits for a pass newer than the last one; it returns
// the new last_scrub.
func (n *meshNode) scrubbed(t *testing.T, vault string) map[string]any {
	t.Helper()
	resp, q := n.call("POST", "/vaults/"+vault+"/scrub", nil, n.tok...)
	if resp.StatusCode != 202 || q["queued"] != true {
		t.Fatalf("%s: POST scrub: %d %v", n.name, resp.StatusCode, q)
	}
	before, _ := q["last_scrub"].(map[string]any)
	var rec map[string]any
	eventually(t, 30*time.Second, n.name+"'s scrub pass", func() (bool, string) {
		_, info := n.call("GET", "/vaults/"+vault+"/info", nil, n.tok...)
		rec, _ = info["last_scrub"].(map[string]any)
		return rec != nil && (before == nil || rec["finished_ms"].(float64) > before["finished_ms"].(float64)), fmt.Sprint(info["last_scrub"])
	})
	return rec
}

// Scrub: bravo holds alpha's vault; one of its block files is damaged on disk. A scrub finds
// it, fetches it again from alpha and reports it (info, block_repaired); with alpha killed,
// bravo serves the file intact. A block lost while no peer holds the vault stays unrepaired.
func TestScrubRepairsADamagedBlockFromAPeer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts daemons")
	}
	key := keygen(t)
	a := startFirstMeshNode(t, "alpha", key)
	b := startMeshNode(t, "bravo", key, a.addr(t))
	resp, v := a.send("POST", "/vaults", map[string]any{"name": "Photos", "replication_factor": 2}, a.tok...)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %v", resp.StatusCode, v)
	}
	id := v["id"].(string)
	body := strings.Repeat("scrubbed bytes, marker 51c0de. ", 45000) // ~1.4 MiB: three blocks
	req, _ := http.NewRequest("POST", a.api+"/vaults/"+id+"/upload/trip/lake.txt", strings.NewReader(body))
	req.Header.Set(a.tok[0], a.tok[1])
	up, err := http.DefaultClient.Do(req)
	if err != nil || up.StatusCode != 201 {
		t.Fatalf("upload: %v %v", up, err)
	}
	up.Body.Close()

	// Bravo first holds it untrusted: no key, no name, its one role "hold".
	eventually(t, 20*time.Second, "bravo holds the vault untrusted", func() (bool, string) {
		resp, bv := b.call("GET", "/vaults/"+id, nil, b.tok...)
		return resp.StatusCode == 200 && bv["key_state"] == "untrusted" && bv["hold"] == true, fmt.Sprint(bv)
	})
	if _, bv := b.call("GET", "/vaults/"+id, nil, b.tok...); bv["name"] != "" || fmt.Sprint(bv["roles"]) != "[hold]" {
		t.Fatalf("bravo's untrusted vault: %v", bv)
	}
	_, share := a.call("GET", "/vaults/"+id+"/share-url", nil, a.tok...)
	if resp, body := b.send("POST", "/vaults/join", map[string]any{"url": share["url"]}, b.tok...); resp.StatusCode != 201 {
		t.Fatalf("join: %d %v", resp.StatusCode, body)
	}
	eventually(t, 20*time.Second, "bravo holds the file locally", func() (bool, string) {
		resp, loc := b.call("GET", "/vaults/"+id+"/locality/trip/lake.txt", nil, b.tok...)
		return resp.StatusCode == 200 && loc["local"] == true, fmt.Sprint(resp.StatusCode, loc)
	})
	// Info: the replicas are bravo and alpha, both reliable and connected; no scrub yet.
	eventually(t, 20*time.Second, "bravo's info names both replicas", func() (bool, string) {
		_, info := b.call("GET", "/vaults/"+id+"/info", nil, b.tok...)
		r, _ := info["replicas"].(map[string]any)
		nodes := fmt.Sprint(r["nodes"])
		return info["last_scrub"] == nil && r["reliable_holders"] == 2.0 && r["under_replicated"] == false &&
			strings.Contains(nodes, b.id) && strings.Contains(nodes, a.id) && strings.Contains(nodes, "display_name:alpha") &&
			info["peer_count"] == 1.0, fmt.Sprint(info)
	})
	clean := b.scrubbed(t, id)
	if clean["checked"] != 3.0 || clean["damaged"] != 0.0 || clean["missing"] != 0.0 || clean["bytes"].(float64) < float64(len(body)) {
		t.Fatalf("a clean pass: %v", clean)
	}

	// Damage one of bravo's block files: same size, a few bytes flipped.
	files := blockFiles(t, b)
	if len(files) != 3 {
		t.Fatalf("bravo holds %d block files, want 3: %v", len(files), files)
	}
	raw, err := os.ReadFile(files[1])
	if err != nil {
		t.Fatal(err)
	}
	for i := 1000; i < 1010; i++ {
		raw[i] ^= 0xff
	}
	if err := os.WriteFile(files[1], raw, 0o600); err != nil {
		t.Fatal(err)
	}
	events := followEvents(t, b)
	rec := b.scrubbed(t, id)
	if rec["checked"] != 3.0 || rec["damaged"] != 1.0 || rec["missing"] != 0.0 || rec["repaired"] != 1.0 || rec["unrepaired"] != 0.0 {
		t.Fatalf("the pass after the damage: %v", rec)
	}
	eventually(t, 10*time.Second, "bravo's block_repaired", func() (bool, string) {
		return events.has("block_repaired", filepath.Base(files[1])), events.String()
	})
	a.kill()
	if got := b.download(t, id, "trip/lake.txt"); got != body {
		t.Fatalf("bravo serves %d bytes after the repair, want %d", len(got), len(body))
	}

	// Alpha is gone: a block bravo loses now has no holder to come from.
	if err := os.Remove(files[2]); err != nil {
		t.Fatal(err)
	}
	rec = b.scrubbed(t, id)
	lost := filepath.Base(files[2]) // a block file is named by its address
	if rec["missing"] != 1.0 || rec["unrepaired"] != 1.0 || rec["repaired"] != 0.0 || fmt.Sprint(rec["unrepaired_blocks"]) != "["+lost+"]" {
		t.Fatalf("the pass without a peer: %v", rec)
	}
	_, info := b.call("GET", "/vaults/"+id+"/info", nil, b.tok...)
	if r := info["replicas"].(map[string]any); r["reliable_holders"] != 1.0 || r["under_replicated"] != true {
		t.Fatalf("bravo's replicas with alpha gone: %v", r)
	}
}
