package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// meshNode is a daemon of the mesh tests, logged in.
type meshNode struct {
	*proc
	name, cfg string
	tok       []string
	id        string
}

// startMeshNode starts a daemon listening on a loopback port the OS picks, with swarmKey and
// bootstrap in its config.yaml (both may be empty), sets its password and logs in.
func startMeshNode(t *testing.T, name, swarmKey string, bootstrap ...string) *meshNode {
	t.Helper()
	return startMeshNodeWith(t, name, swarmKey, "", bootstrap...)
}

// startFirstMeshNode starts the first node of a swarm (no bootstrap) and waits until its mesh
// runs, so later nodes can bootstrap from its address.
func startFirstMeshNode(t *testing.T, name, swarmKey string) *meshNode {
	t.Helper()
	n := startMeshNode(t, name, swarmKey)
	eventually(t, 10*time.Second, name+"'s mesh connected", func() (bool, string) {
		st, _ := n.status()
		return st == "connected", st
	})
	return n
}

// startMeshNodeWith is startMeshNode with more config.yaml sections (extra, YAML).
func startMeshNodeWith(t *testing.T, name, swarmKey, extra string, bootstrap ...string) *meshNode {
	t.Helper()
	dir := t.TempDir()
	if swarmKey != "" {
		extra += "swarm_key: |\n"
		for _, l := range strings.Split(strings.TrimSpace(swarmKey), "\n") {
			extra += "  " + l + "\n"
		}
	}
	if len(bootstrap) > 0 {
		extra += "bootstrap_peers: [" + strings.Join(bootstrap, ", ") + "]\n"
	}
	path := filepath.Join(dir, "config.yaml")
	src := "node:\n  name: " + name + "\n  listen_addrs: [/ip4/127.0.0.1/tcp/0]\napi:\n  bind: 127.0.0.1:0\n" + extra
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	n := &meshNode{name: name, cfg: path}
	n.restart(t, true)
	return n
}

// restart starts the node's daemon again on its config (first: set the password).
func (n *meshNode) restart(t *testing.T, first bool) {
	t.Helper()
	n.proc = start(t, n.cfg)
	if first {
		n.setPassword("mesh password")
	}
	n.tok = bearer(n.login("mesh password"))
	_, st := n.call("GET", "/system/status", nil)
	n.id = st["peer_id"].(string)
}

// addr is the node's mesh address on loopback, from its status.
func (n *meshNode) addr(t *testing.T) string {
	t.Helper()
	_, st := n.call("GET", "/system/status", nil)
	for _, a := range st["listen_addrs"].([]any) {
		if s := a.(string); strings.HasPrefix(s, "/ip4/127.0.0.1/tcp/") {
			return s
		}
	}
	t.Fatalf("%s has no loopback mesh address: %v", n.name, st)
	return ""
}

// online lists the node ids n's directory shows online, sorted.
func (n *meshNode) online() []string {
	_, body := n.call("GET", "/nodes", nil, n.tok...)
	var ids []string
	for _, v := range body["nodes"].([]any) {
		if m := v.(map[string]any); m["online"] == true {
			ids = append(ids, m["node_id"].(string))
		}
	}
	slices.Sort(ids)
	return ids
}

// edges is n's topology as sorted "a-b" pairs, and its node ids.
func (n *meshNode) edges() (edges, nodes []string) {
	_, body := n.call("GET", "/network/topology", nil, n.tok...)
	for _, v := range body["edges"].([]any) {
		e := v.(map[string]any)
		a, b := e["a"].(string), e["b"].(string)
		if b < a {
			a, b = b, a
		}
		edges = append(edges, a+"-"+b)
	}
	for _, v := range body["nodes"].([]any) {
		nodes = append(nodes, v.(map[string]any)["node_id"].(string))
	}
	slices.Sort(edges)
	slices.Sort(nodes)
	return edges, nodes
}

// status is n's network state and id.
func (n *meshNode) status() (state, id string) {
	_, st := n.call("GET", "/system/status", nil)
	nw := st["network"].(map[string]any)
	return nw["state"].(string), nw["id"].(string)
}

// eventually retries cond every 100 ms for up to limit.
func eventually(t *testing.T, limit time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, got := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, %s: %s", limit, what, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ids(ns ...*meshNode) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.id)
	}
	slices.Sort(out)
	return out
}

func keygen(t *testing.T) string {
	t.Helper()
	key, err := exec.Command(binary, "keygen").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(key)
}

// eventTypes follows n's event stream and collects every event type it sees.
type eventTypes struct {
	mu   sync.Mutex
	seen []string
}

func (e *eventTypes) has(typ, data string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.ContainsFunc(e.seen, func(s string) bool { return strings.HasPrefix(s, typ+" ") && strings.Contains(s, data) })
}

func (e *eventTypes) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return fmt.Sprint(e.seen)
}

func followEvents(t *testing.T, n *meshNode) *eventTypes {
	t.Helper()
	req, _ := http.NewRequest("GET", n.api+"/events/stream", nil)
	req.Header.Set(n.tok[0], n.tok[1])
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("event stream: %v %v", resp, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	ev := &eventTypes{}
	go func() {
		sc := bufio.NewScanner(resp.Body)
		typ := ""
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				typ = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				ev.mu.Lock()
				ev.seen = append(ev.seen, typ+" "+v)
				ev.mu.Unlock()
			}
		}
	}()
	return ev
}

// Three daemons on loopback find each other from one bootstrap address and agree on the mesh;
// a fourth with another swarm key learns nothing until it joins with an invite; networks are
// created, connected to, disconnected from and deleted; a swarm key rotation moves the three
// onto the new key; a killed node is seen leaving and, restarted, rejoining.
func TestMeshOfThreeDaemons(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four daemons")
	}
	key := keygen(t)
	a := startFirstMeshNode(t, "alpha", key)
	boot := a.addr(t)
	b := startMeshNode(t, "bravo", key, boot)
	c := startMeshNode(t, "charlie", key, boot)
	all := ids(a, b, c)
	for _, n := range []*meshNode{a, b, c} {
		eventually(t, 15*time.Second, n.name+" sees all three online", func() (bool, string) {
			got := n.online()
			return slices.Equal(got, all), fmt.Sprint(got)
		})
	}
	// Peer exchange links bravo and charlie too: every node draws the same full triangle.
	want := []string{}
	for i, x := range all {
		for _, y := range all[i+1:] {
			want = append(want, x+"-"+y)
		}
	}
	for _, n := range []*meshNode{a, b, c} {
		eventually(t, 15*time.Second, n.name+"'s topology", func() (bool, string) {
			edges, nodes := n.edges()
			return slices.Equal(edges, want) && slices.Equal(nodes, all), fmt.Sprint(edges, nodes)
		})
	}
	if resp, body := a.call("GET", "/nodes/"+b.id, nil, a.tok...); resp.StatusCode != 200 || body["display_name"] != "bravo" {
		t.Fatalf("alpha's view of bravo: %d %v", resp.StatusCode, body)
	}
	if resp, _ := a.call("GET", "/nodes/12D3KooWHHzSeKaY8xuZVzkLbKFfvNgPPeKhFBGrMbNzbm5akpqu", nil, a.tok...); resp.StatusCode != 404 {
		t.Fatalf("an unknown node: %d", resp.StatusCode)
	}
	// A profile change is gossiped at once, not at the next interval (30 s).
	if resp, body := b.send("PUT", "/profile", map[string]any{"display_name": "Bravo Two"}, b.tok...); resp.StatusCode != 200 {
		t.Fatalf("PUT /profile: %d %v", resp.StatusCode, body)
	}
	eventually(t, 10*time.Second, "charlie sees bravo's new name", func() (bool, string) {
		_, body := c.call("GET", "/nodes/"+b.id, nil, c.tok...)
		return body["display_name"] == "Bravo Two", fmt.Sprint(body["display_name"])
	})
	if resp, body := a.call("POST", "/network/speedtest/"+b.id, nil, a.tok...); resp.StatusCode != 200 || body["bytes"].(float64) <= 0 {
		t.Fatalf("speed test alpha → bravo: %d %v", resp.StatusCode, body)
	}

	// A node without any network is limited: what needs the mesh says so with a 503.
	lone := startMeshNode(t, "lone", "")
	if resp, body := lone.call("POST", "/network/speedtest/"+a.id, nil, lone.tok...); resp.StatusCode != 503 || !strings.Contains(fmt.Sprint(body["error"]), "limited mode") {
		t.Fatalf("a speed test in limited mode: %d %v", resp.StatusCode, body)
	}
	if st, _ := lone.status(); st != "limited" {
		t.Fatalf("a node without a network: %s", st)
	}
	lone.stop()

	// Another swarm key: the handshake fails, nothing is learned on either side.
	d := startMeshNode(t, "delta", keygen(t), boot)
	time.Sleep(2 * time.Second)
	if got := d.online(); !slices.Equal(got, []string{d.id}) {
		t.Fatalf("delta on another key learned %v", got)
	}
	if got := a.online(); slices.Contains(got, d.id) {
		t.Fatalf("alpha learned of delta: %v", got)
	}

	// Join URL round trip: alpha's invite adds the network on delta, which connects to it.
	_, nets := a.call("GET", "/networks", nil, a.tok...)
	netID, _ := nets["active"].(string)
	_, inv := a.call("GET", "/networks/"+netID+"/invite", nil, a.tok...)
	url, _ := inv["url"].(string)
	if !strings.HasPrefix(url, "meshhold://join/v1?") || !strings.Contains(url, a.id) {
		t.Fatalf("alpha's invite: %v", inv)
	}
	if resp, body := d.send("POST", "/networks", map[string]any{"join_url": "meshhold://join/v1?psk=nope"}, d.tok...); resp.StatusCode != 400 || body["error"] == "" {
		t.Fatalf("a malformed join URL: %d %v", resp.StatusCode, body)
	}
	if resp, body := d.send("POST", "/networks", map[string]any{"join_url": url}, d.tok...); resp.StatusCode != 201 || body["id"] != netID {
		t.Fatalf("delta adds alpha's network: %d %v", resp.StatusCode, body)
	}
	if resp, body := d.send("POST", "/networks", map[string]any{"join_url": url}, d.tok...); resp.StatusCode != 409 {
		t.Fatalf("the same network twice: %d %v", resp.StatusCode, body)
	}
	if resp, body := d.call("POST", "/networks/"+netID+"/connect", nil, d.tok...); resp.StatusCode != 200 {
		t.Fatalf("delta connects: %d %v", resp.StatusCode, body)
	}
	four := ids(a, b, c, d)
	eventually(t, 15*time.Second, "alpha sees delta join", func() (bool, string) {
		got := a.online()
		return slices.Equal(got, four), fmt.Sprint(got)
	})
	// Delta's own network: created, not deletable while... delta is on alpha's; it goes.
	_, created := d.send("POST", "/networks/create", map[string]any{"name": "spare"}, d.tok...)
	spare, _ := created["id"].(string)
	if resp, body := d.call("DELETE", "/networks/"+netID, nil, d.tok...); resp.StatusCode != 409 {
		t.Fatalf("deleting the active network while connected: %d %v", resp.StatusCode, body)
	}
	if resp, body := d.call("POST", "/networks/disconnect", nil, d.tok...); resp.StatusCode != 200 {
		t.Fatalf("disconnect: %d %v", resp.StatusCode, body)
	}
	if st, _ := d.status(); st != "offline" {
		t.Fatalf("delta after disconnect: %s", st)
	}
	eventually(t, 15*time.Second, "alpha sees delta go", func() (bool, string) {
		_, body := a.call("GET", "/nodes/"+d.id, nil, a.tok...)
		return body["connected"] == false, fmt.Sprint(body)
	})
	for _, id := range []string{spare, netID} {
		if resp, body := d.call("DELETE", "/networks/"+id, nil, d.tok...); resp.StatusCode != 204 {
			t.Fatalf("delete network %s offline: %d %v", id, resp.StatusCode, body)
		}
	}
	d.stop()

	// Rotation: bravo and charlie have alpha as a contact, so they apply its new key at once.
	for _, n := range []*meshNode{b, c} {
		if resp, body := n.send("POST", "/contacts", map[string]any{"node_id": a.id, "name": "alpha"}, n.tok...); resp.StatusCode/100 != 2 {
			t.Fatalf("%s adds alpha as a contact: %d %v", n.name, resp.StatusCode, body)
		}
	}
	resp, rot := a.call("POST", "/networks/"+netID+"/swarm-key", nil, a.tok...)
	if resp.StatusCode != 200 {
		t.Fatalf("rotate: %d %v", resp.StatusCode, rot)
	}
	if pushed := fmt.Sprint(rot["pushed"]); !strings.Contains(pushed, b.id) || !strings.Contains(pushed, c.id) {
		t.Fatalf("rotation pushed to %v (failed %v)", rot["pushed"], rot["failed"])
	}
	newID := rot["network"].(map[string]any)["id"].(string)
	if newID == netID {
		t.Fatal("the rotated network kept its id")
	}
	for _, n := range []*meshNode{a, b, c} {
		eventually(t, 20*time.Second, n.name+" on the new key with the other two", func() (bool, string) {
			st, id := n.status()
			got := n.online()
			return st == "connected" && id == newID && slices.Equal(got, all), fmt.Sprint(st, " ", id, " ", got)
		})
	}

	// Kill charlie: alpha sees it leave; restarted, it comes back on the rotated key.
	events := followEvents(t, a)
	c.kill()
	eventually(t, 20*time.Second, "alpha's peer_disconnected for charlie", func() (bool, string) {
		return events.has("peer_disconnected", c.id), events.String()
	})
	c.restart(t, false)
	eventually(t, 20*time.Second, "alpha's peer_connected for charlie", func() (bool, string) {
		return events.has("peer_connected", c.id), events.String()
	})
	if st, id := c.status(); st != "connected" || id != newID {
		t.Fatalf("charlie after a restart: %s %s", st, id)
	}
	eventually(t, 15*time.Second, "the mesh healed", func() (bool, string) {
		got := c.online()
		return slices.Equal(got, all), fmt.Sprint(got)
	})
}

// A vault's share URL carries its key; another node adopts it once (400 when malformed, 409
// when held already), and a password vault's key is never put in a URL.
func TestVaultShareURLAndJoin(t *testing.T) {
	a := startMeshNode(t, "alpha", "")
	b := startMeshNode(t, "bravo", "")
	resp, v := a.send("POST", "/vaults", map[string]any{"name": "Photos"}, a.tok...)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %v", resp.StatusCode, v)
	}
	id := v["id"].(string)
	resp, share := a.call("GET", "/vaults/"+id+"/share-url", nil, a.tok...)
	url, _ := share["url"].(string)
	if resp.StatusCode != 200 || !strings.HasPrefix(url, "meshhold://vault/v1?id="+id+"&name=Photos&key=") {
		t.Fatalf("share-url: %d %v", resp.StatusCode, share)
	}
	if resp, body := b.send("POST", "/vaults/join", map[string]any{"url": strings.Replace(url, "key=", "key=zz", 1)}, b.tok...); resp.StatusCode != 400 || !strings.Contains(fmt.Sprint(body["error"]), "key") {
		t.Fatalf("a malformed URL: %d %v", resp.StatusCode, body)
	}
	if resp, body := b.send("POST", "/vaults/join", map[string]any{"url": url}, b.tok...); resp.StatusCode != 201 || body["id"] != id || body["name"] != "Photos" {
		t.Fatalf("join: %d %v", resp.StatusCode, body)
	}
	if resp, body := b.send("POST", "/vaults/join", map[string]any{"url": url}, b.tok...); resp.StatusCode != 409 {
		t.Fatalf("join twice: %d %v", resp.StatusCode, body)
	}
	if resp, body := a.send("POST", "/vaults/join", map[string]any{"url": url}, a.tok...); resp.StatusCode != 409 {
		t.Fatalf("join a vault of one's own: %d %v", resp.StatusCode, body)
	}
	_, list := b.call("GET", "/vaults", nil, b.tok...)
	if !strings.Contains(fmt.Sprint(list), id) {
		t.Fatalf("bravo's vaults after the join: %v", list)
	}
	_, pv := a.send("POST", "/vaults", map[string]any{"name": "Diary", "password": "long enough"}, a.tok...)
	if resp, body := a.call("GET", "/vaults/"+pv["id"].(string)+"/share-url", nil, a.tok...); resp.StatusCode != 409 || !strings.Contains(fmt.Sprint(body["error"]), "password") {
		t.Fatalf("share-url of a password vault: %d %v", resp.StatusCode, body)
	}
}

// Replication: a file uploaded at alpha reaches bravo, which joined the vault with its share
// URL; with alpha killed, bravo serves it intact.
func TestReplicationSurvivesTheLossOfANode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts daemons")
	}
	key := keygen(t)
	a := startFirstMeshNode(t, "alpha", key)
	b := startMeshNode(t, "bravo", key, a.addr(t))
	c := startMeshNode(t, "charlie", key, a.addr(t)) // no share URL: untrusted
	resp, v := a.send("POST", "/vaults", map[string]any{"name": "Photos", "replication_factor": 2}, a.tok...)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %v", resp.StatusCode, v)
	}
	id := v["id"].(string)
	body := strings.Repeat("replicated bytes, marker 7f3e9a. ", 40000) // ~1.3 MiB: three blocks
	req, _ := http.NewRequest("POST", a.api+"/vaults/"+id+"/upload/trip/beach.txt", strings.NewReader(body))
	req.Header.Set(a.tok[0], a.tok[1])
	up, err := http.DefaultClient.Do(req)
	if err != nil || up.StatusCode != 201 {
		t.Fatalf("upload: %v %v", up, err)
	}
	up.Body.Close()
	// Bravo first holds the vault untrusted, as every reliable node of the swarm does; its
	// share URL makes it trusted.
	eventually(t, 20*time.Second, "bravo holds the vault untrusted", func() (bool, string) {
		_, bv := b.call("GET", "/vaults", nil, b.tok...)
		return strings.Contains(fmt.Sprint(bv), "untrusted:true"), fmt.Sprint(bv)
	})
	_, share := a.call("GET", "/vaults/"+id+"/share-url", nil, a.tok...)
	if resp, body := b.send("POST", "/vaults/join", map[string]any{"url": share["url"]}, b.tok...); resp.StatusCode != 201 {
		t.Fatalf("join: %d %v", resp.StatusCode, body)
	}
	eventually(t, 20*time.Second, "bravo holds the file locally", func() (bool, string) {
		resp, loc := b.call("GET", "/vaults/"+id+"/locality/trip/beach.txt", nil, b.tok...)
		return resp.StatusCode == 200 && loc["local"] == true, fmt.Sprint(resp.StatusCode, loc, b.output())
	})
	eventually(t, 20*time.Second, "alpha's locality names bravo and the untrusted charlie", func() (bool, string) {
		_, loc := a.call("GET", "/vaults/"+id+"/locality/trip/beach.txt", nil, a.tok...)
		h := fmt.Sprint(loc["holders"])
		_, bv := a.call("GET", "/nodes/"+b.id, nil, a.tok...)
		_, cv := a.call("GET", "/nodes/"+c.id, nil, a.tok...)
		return strings.Contains(h, b.id) && strings.Contains(h, c.id), fmt.Sprintf("holders %s; bravo %s: %v %v; charlie %s: %v %v", h, b.id, bv["connected"], bv["vaults"], c.id, cv["connected"], cv["vaults"])
	})
	// Charlie holds ciphertext only: no plaintext marker, no path name anywhere in its folder.
	_, cv := c.call("GET", "/vaults", nil, c.tok...)
	if !strings.Contains(fmt.Sprint(cv), "untrusted:true") {
		t.Fatalf("charlie does not list the vault as untrusted: %v", cv)
	}
	c.stop()
	scanFolder(t, filepath.Dir(c.cfg), "marker 7f3e9a", "beach.txt", "trip/")
	// Bravo loses its block files: a download fetches what it lacks from a peer, verified.
	b.stop()
	if err := os.RemoveAll(filepath.Join(filepath.Dir(b.cfg), "data", "blocks")); err != nil {
		t.Fatal(err)
	}
	b.restart(t, false)
	eventually(t, 20*time.Second, "bravo reconnected to alpha", func() (bool, string) {
		got := b.online()
		return slices.Contains(got, a.id), fmt.Sprint(got)
	})
	if _, loc := b.call("GET", "/vaults/"+id+"/locality/trip/beach.txt", nil, b.tok...); loc["local"] != false {
		t.Fatalf("bravo's locality without its blocks: %v", loc)
	}
	if got := b.download(t, id, "trip/beach.txt"); got != body {
		t.Fatalf("bravo streams %d bytes from its peer, want %d", len(got), len(body))
	}
	a.kill()
	got := b.download(t, id, "trip/beach.txt")
	if got != body {
		t.Fatalf("bravo serves %d bytes, want %d", len(got), len(body))
	}
}

// scanFolder fails if any file under dir holds one of needles.
func scanFolder(t *testing.T, dir string, needles ...string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, n := range needles {
			if strings.Contains(string(b), n) {
				t.Errorf("%s holds %q", path, n)
			}
		}
		return nil
	})
	if err != nil || files < 3 {
		t.Fatalf("scan %s: %d files, %v", dir, files, err)
	}
}

// download reads a file's bytes from n.
func (n *meshNode) download(t *testing.T, vault, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", n.api+"/vaults/"+vault+"/download/"+path, nil)
	req.Header.Set(n.tok[0], n.tok[1])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := bufio.NewReader(resp.Body).WriteTo(&b); err != nil || resp.StatusCode != 200 {
		t.Fatalf("download %s: %d %v", path, resp.StatusCode, err)
	}
	return b.String()
}
