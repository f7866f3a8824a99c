package main

import (
	"crypto/sha256"
	binenc "encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/messages/storev1"
	"github.com/meshhold/meshhold/persist"
	"github.com/meshhold/meshhold/persist/blockstore"
	"github.com/meshhold/meshhold/persist/boltdb"
	"github.com/meshhold/meshhold/persist/keyring"
	"github.com/meshhold/meshhold/persist/vaultcrypt"
)

// crashSeedEnv replays one schedule of TestCrashDuringUploadsLosesNothingAcknowledged.
const crashSeedEnv = "MESHHOLD_CRASH_SEED"

// The daemon is killed with SIGKILL at random moments while 8 clients upload (distinct paths,
// sizes 1 byte … 3 MiB, overwrites of earlier paths, re-uploads of the same bytes), 24 times.
// After every kill the stopped node's store is checked offline (catalog counters recomputed
// from the versions, every referenced block present and matching its address, `meshhold audit
// verify` reading the store past the stale daemon.json); after every
// restart: every acknowledged path downloads with exactly its last acknowledged bytes (or the
// bytes of a later attempt on that path whose commit landed though its 201 never arrived), no
// path that no client attempted is listed, nothing listed is partial, the vault's usage matches
// the listing, `meshhold audit verify` passes and the daemon logged no error. A kill -9 ends the
// process, not the machine: the page cache survives, so this proves the commit protocol and
// restart recovery, not the fsync order (actors/node's durability-order test covers that).
//
// The schedule is random; the seed is logged and MESHHOLD_CRASH_SEED=<seed> replays it (the
// kill moments land differently on a different machine load, so a replay is close, not exact).
func TestCrashDuringUploadsLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the daemon 24 times")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(crashSeedEnv); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", crashSeedEnv, err)
		}
		seed = n
	}
	t.Logf("seed %d (%s=%d replays this schedule)", seed, crashSeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	const (
		rounds    = 24
		uploaders = 8
		password  = "crash test password"
	)
	dir := t.TempDir()
	cfgPath := testConfig(t, dir, "")
	home := t.TempDir()
	w := newCrashWorld(seed)
	var vaultID string
	began := time.Now()
	for round := 0; round <= rounds; round++ {
		p := start(t, cfgPath, "--log-level", "warn")
		var tok string
		if round == 0 {
			p.setPassword(password)
			tok = p.login(password)
			vaultID = newVault(t, p, tok, map[string]any{"name": "crash"}).id
		} else {
			tok = p.login(password)
			v := &vaultClient{t: t, p: p, tok: tok, id: vaultID}
			w.verify(t, v, round == rounds)
			runCLI(t, home, "", []string{envToken + "=" + tok}, "audit", "verify", "-c", cfgPath).ok(t, "audit verify after restart")
		}
		if t.Failed() {
			t.Fatalf("round %d: stopping at the first failed check (seed %d)", round, seed)
		}
		if round == rounds {
			checkCleanLog(t, p, round)
			p.stop()
			break
		}
		v := &vaultClient{t: t, p: p, tok: tok, id: vaultID}
		idle := round%6 == 5 // every sixth round: all uploads end before the kill
		delay := time.Duration(rng.Int64N(int64(300 * time.Millisecond)))
		if idle {
			delay = time.Duration(rng.Int64N(int64(100 * time.Millisecond)))
		}
		stats := w.crashRound(t, v, round, uploaders, idle, delay)
		checkCleanLog(t, p, round)
		t.Logf("round %2d: kill after %3d ms%s: %3d acknowledged; in flight: %d sending the body, %d body sent, awaiting the reply",
			round, delay.Milliseconds(), map[bool]string{true: " (idle)"}[idle], stats.acked, stats.sending, stats.awaiting)
		// The killed daemon left daemon.json behind: the CLI finds nobody listening there and
		// reads the store. (It still asks for credentials before it tries: without them it
		// exits "no credentials" instead of falling back — hence the token.)
		runCLI(t, home, "", []string{envToken + "=" + tok}, "audit", "verify", "-c", cfgPath).ok(t, "audit verify after the kill (daemon stopped)")
		st := checkVaultStore(t, cfgPath, vaultID)
		t.Logf("          store: %d paths, %d versions, %d blocks referenced, %d unreferenced block files, %d temporary files left", st.paths, st.versions, st.blocks, st.stray, st.tmp)
		if t.Failed() {
			t.Fatalf("round %d: stopping at the first failed check (seed %d)", round, seed)
		}
	}
	// With the daemon stopped, the CLI reads the store itself.
	runCLI(t, home, "", nil, "audit", "verify", "-c", cfgPath).ok(t, "audit verify (daemon stopped)")
	checkVaultStore(t, cfgPath, vaultID)
	acked, attempts := w.totals()
	t.Logf("%d rounds, %d attempts, %d acknowledged, %d paths; %d uploads killed while sending their body, %d unacknowledged commits landed; %s",
		rounds, attempts, acked, len(w.paths), w.killedMidBody, w.landedUnacked, time.Since(began).Round(time.Millisecond))
}

// crashBody names the bytes of one attempt: size bytes of ChaCha8 keyed by seed.
type crashBody struct {
	seed uint64
	size int
}

func (b crashBody) bytes() []byte {
	var key [32]byte
	binenc.LittleEndian.PutUint64(key[:], b.seed)
	out := make([]byte, b.size)
	_, _ = rand.NewChaCha8(key).Read(out)
	return out
}

// crashPath is what the test knows of one path. Each path has one writer (uploader k writes
// only under /u<k>/), so its attempts are ordered.
type crashPath struct {
	owner   int
	cur     string          // SHA-256 hex of the content known committed; "" when never
	curHash string          // the daemon's content_hash of cur; "" when not yet known
	curBody crashBody       // cur's bytes, for re-uploads of the same content
	pending map[string]bool // SHA-256 of attempts since cur: one may have landed unacknowledged
	touched bool            // attempted since the last verification
}

type crashWorld struct {
	seed          uint64
	mu            sync.Mutex
	paths         map[string]*crashPath
	sizes         map[string]int // SHA-256 hex → size of every attempted body
	attempts      int
	acked         int
	killedMidBody int
	landedUnacked int
	errs          []string
}

func newCrashWorld(seed uint64) *crashWorld {
	return &crashWorld{seed: seed, paths: map[string]*crashPath{}, sizes: map[string]int{}}
}

func (w *crashWorld) totals() (acked, attempts int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.acked, w.attempts
}

func (w *crashWorld) fail(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.errs = append(w.errs, fmt.Sprintf(format, args...))
}

// crashSize draws an upload size: 60 % under 16 KiB, 15 % up to 512 KiB, 15 % within 64 bytes
// of the 512 KiB block boundary, 10 % from 512 KiB to 3 MiB.
func crashSize(r *rand.Rand) int {
	switch x := r.IntN(100); {
	case x < 60:
		return 1 + r.IntN(16<<10)
	case x < 75:
		return 1 + r.IntN(512<<10)
	case x < 90:
		return 512<<10 - 64 + r.IntN(128) // straddles the first block boundary
	default:
		return 512<<10 + r.IntN(3<<20-512<<10+1)
	}
}

type roundStats struct{ acked, sending, awaiting int }

// crashRound runs the uploaders against v's daemon and kills it after delay (idle: the
// uploaders make a few uploads each and end first).
func (w *crashWorld) crashRound(t *testing.T, v *vaultClient, round, uploaders int, idle bool, delay time.Duration) roundStats {
	t.Helper()
	transport := &http.Transport{MaxIdleConnsPerHost: uploaders, DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
	client := &http.Client{Transport: transport, Timeout: 60 * time.Second}
	defer transport.CloseIdleConnections()
	var killed atomic.Bool
	var sending, awaiting, acked atomic.Int64
	var wg sync.WaitGroup
	begin := time.Now()
	for k := range uploaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(w.seed, uint64(round)<<16|uint64(k)+1))
			for n := 0; !killed.Load() && (!idle || n < 3); n++ {
				path, body := w.pick(r, k, round, n)
				if !w.upload(client, v, path, body, r.IntN(4) == 0, &killed, &sending, &awaiting) {
					return
				}
				acked.Add(1)
			}
		}()
	}
	if idle {
		wg.Wait()
	}
	if d := delay - time.Since(begin); d > 0 {
		time.Sleep(d)
	}
	stats := roundStats{sending: int(sending.Load()), awaiting: int(awaiting.Load())}
	killed.Store(true)
	v.p.kill()
	wg.Wait()
	stats.acked = int(acked.Load())
	w.mu.Lock()
	w.killedMidBody += stats.sending
	errs := w.errs
	w.errs = nil
	w.mu.Unlock()
	for _, e := range errs {
		t.Errorf("round %d: %s", round, e)
	}
	return stats
}

// pick chooses the next attempt of uploader k: a new path, an overwrite of one of its paths
// with new bytes, or (rarely) a re-upload of a path's current bytes.
func (w *crashWorld) pick(r *rand.Rand, k, round, n int) (string, crashBody) {
	w.mu.Lock()
	defer w.mu.Unlock()
	body := crashBody{seed: r.Uint64(), size: crashSize(r)}
	var own []string
	if r.IntN(100) < 35 {
		for p, s := range w.paths {
			if s.owner == k {
				own = append(own, p)
			}
		}
		slices.Sort(own) // map order is random: keep the choice a function of the seed
	}
	if len(own) == 0 {
		return fmt.Sprintf("/u%d/r%02d/f%03d.bin", k, round, n), body
	}
	path := own[r.IntN(len(own))]
	if s := w.paths[path]; s.cur != "" && r.IntN(100) < 15 {
		body = s.curBody // the same bytes again: the commit is answered as is
	}
	return path, body
}

// upload sends one attempt and records it; false when the uploader should stop (the daemon is
// gone, or it answered anything but 201, which is recorded as a failure).
func (w *crashWorld) upload(client *http.Client, v *vaultClient, path string, body crashBody, slow bool, killed *atomic.Bool, sending, awaiting *atomic.Int64) bool {
	data := body.bytes()
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	w.mu.Lock()
	s := w.paths[path]
	if s == nil {
		s = &crashPath{owner: ownerOf(path), pending: map[string]bool{}}
		w.paths[path] = s
	}
	s.pending[sha] = true
	s.touched = true
	w.sizes[sha] = len(data)
	w.attempts++
	w.mu.Unlock()

	rd := &phaseReader{data: data, slow: slow, sending: sending, awaiting: awaiting}
	req, _ := http.NewRequest("POST", v.p.api+"/vaults/"+v.id+"/upload"+path, rd)
	req.ContentLength = int64(len(data))
	req.Header.Set("Authorization", "Bearer "+v.tok)
	req.Header.Set("Content-Type", "application/octet-stream")
	sending.Add(1)
	resp, err := client.Do(req)
	rd.finish()
	if err != nil {
		if !killed.Load() {
			w.fail("upload %s (%d bytes) failed before the kill: %v", path, len(data), err)
		}
		return false
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		if !killed.Load() {
			w.fail("upload %s: reading the reply: %v", path, err)
		}
		return false
	}
	var info messages.FileInfo
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &info) != nil {
		w.fail("upload %s (%d bytes): %d %s", path, len(data), resp.StatusCode, raw)
		return false
	}
	if info.Size != int64(len(data)) || info.Path != path || info.ContentHash == "" {
		w.fail("upload %s (%d bytes) acknowledged as %+v", path, len(data), info)
	}
	w.mu.Lock()
	s.cur, s.curHash, s.curBody = sha, info.ContentHash, body
	clear(s.pending)
	w.acked++
	w.mu.Unlock()
	return true
}

func ownerOf(path string) int {
	k, _ := strconv.Atoi(strings.TrimPrefix(strings.SplitN(path, "/", 3)[1], "u"))
	return k
}

// phaseReader is an upload body that counts whether the request is still sending its body or
// has sent it and awaits the reply (the daemon then ingests its tail and commits).
type phaseReader struct {
	data              []byte
	off               int
	slow              bool // 64 KiB per read with a 1 ms pause: the daemon is mid-body for longer
	state             int  // 0 sending, 1 awaiting, 2 done
	mu                sync.Mutex
	sending, awaiting *atomic.Int64
}

func (r *phaseReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.off >= len(r.data) {
		if r.state == 0 {
			r.state = 1
			r.sending.Add(-1)
			r.awaiting.Add(1)
		}
		return 0, io.EOF
	}
	if r.slow {
		if len(p) > 64<<10 {
			p = p[:64<<10]
		}
		r.mu.Unlock()
		time.Sleep(time.Millisecond)
		r.mu.Lock()
	}
	n := copy(p, r.data[r.off:])
	r.off += n
	if r.off >= len(r.data) && r.state == 0 {
		r.state = 1
		r.sending.Add(-1)
		r.awaiting.Add(1)
	}
	return n, nil
}

func (r *phaseReader) finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch r.state {
	case 0:
		r.sending.Add(-1)
	case 1:
		r.awaiting.Add(-1)
	}
	r.state = 2
}

// verify checks the restarted daemon against what the clients were told: the listing holds
// exactly the paths expected, each with acceptable content; touched paths (or, with all, every
// path) are downloaded and hashed.
func (w *crashWorld) verify(t *testing.T, v *vaultClient, all bool) {
	t.Helper()
	listed := listAll(t, v)
	w.mu.Lock()
	defer w.mu.Unlock()
	for p := range listed {
		if w.paths[p] == nil {
			t.Errorf("%s is listed but no client ever uploaded it", p)
		}
	}
	type job struct {
		path string
		info messages.FileInfo
	}
	var jobs []job
	for _, p := range slices.Sorted(maps.Keys(w.paths)) {
		s := w.paths[p]
		info, ok := listed[p]
		switch {
		case !ok && s.cur != "":
			t.Errorf("%s: acknowledged (sha256 %s, %d bytes) but missing after the restart", p, s.cur[:12], w.sizes[s.cur])
		case !ok:
			// never acknowledged, and no attempt landed: fine
		case info.Deleted || info.Conflict:
			t.Errorf("%s: listed as deleted=%v conflict=%v; no client deleted or forked it", p, info.Deleted, info.Conflict)
		case s.touched || all || s.curHash == "" || info.ContentHash != s.curHash:
			jobs = append(jobs, job{p, info})
		}
	}
	// Download with 4 workers; the results come back under w.mu (held by this goroutine).
	type result struct {
		job
		sha  string
		size int
		err  error
	}
	results := make([]result, len(jobs))
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(jobs); i = int(next.Add(1) - 1) {
				j := jobs[i]
				sha, size, err := downloadSHA(v, j.path)
				results[i] = result{j, sha, size, err}
			}
		}()
	}
	wg.Wait()
	for _, r := range results {
		s := w.paths[r.path]
		switch {
		case r.err != nil:
			t.Errorf("%s: download: %v", r.path, r.err)
			continue
		case r.size != int(r.info.Size):
			t.Errorf("%s: listed with %d bytes, downloads %d", r.path, r.info.Size, r.size)
		case r.sha == s.cur:
			if s.curHash != "" && r.info.ContentHash != s.curHash {
				t.Errorf("%s: the acknowledged content_hash was %s, the listing says %s", r.path, s.curHash, r.info.ContentHash)
			}
		case s.pending[r.sha]:
			w.landedUnacked++ // an attempt after the last acknowledgement landed though its 201 never arrived
		default:
			what := "acknowledged content"
			if s.cur == "" {
				what = "nothing acknowledged"
			}
			t.Errorf("%s: downloads %d bytes (sha256 %s) that are no attempted body in full (%s: %s, %d later attempts)",
				r.path, r.size, r.sha[:12], what, shortSHA(s.cur), len(s.pending))
		}
		s.cur, s.curHash, s.touched = r.sha, r.info.ContentHash, false
		clear(s.pending)
	}
	for p, s := range w.paths {
		if _, ok := listed[p]; !ok {
			clear(s.pending) // nothing landed: those attempts are gone for good
			s.touched = false
		}
	}
	// The vault's usage counts the live files the listing shows.
	resp, m := v.p.call("GET", "/vaults/"+v.id, nil, bearer(v.tok)...)
	if resp.StatusCode != 200 || m["files"] != float64(len(listed)) {
		t.Errorf("GET /vaults/%s: %d, files %v, the listing holds %d", v.id, resp.StatusCode, m["files"], len(listed))
	}
}

func shortSHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return "none"
}

// listAll lists the whole vault, page by page.
func listAll(t *testing.T, v *vaultClient) map[string]messages.FileInfo {
	t.Helper()
	out := map[string]messages.FileInfo{}
	cursor := ""
	for {
		q := url.Values{"path": {"/"}, "limit": {"500"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		resp, raw := v.get("/files?" + q.Encode())
		var page messages.FileList
		if resp.StatusCode != 200 || json.Unmarshal(raw, &page) != nil {
			t.Fatalf("list: %d %s", resp.StatusCode, raw)
		}
		for _, f := range page.Files {
			out[f.Path] = f
		}
		if page.NextCursor == "" || len(page.Files) == 0 {
			return out
		}
		cursor = page.NextCursor
	}
}

// downloadSHA downloads path and returns the SHA-256 hex of the body and its length.
func downloadSHA(v *vaultClient, path string) (string, int, error) {
	req, _ := http.NewRequest("GET", v.p.api+"/vaults/"+v.id+"/download"+path, nil)
	req.Header.Set("Authorization", "Bearer "+v.tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		raw, _ := io.ReadAll(resp.Body)
		return "", 0, fmt.Errorf("%d %s", resp.StatusCode, raw)
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		return "", 0, err
	}
	if cl := resp.ContentLength; cl >= 0 && cl != n {
		return "", 0, fmt.Errorf("Content-Length %d, body %d bytes", cl, n)
	}
	return hex.EncodeToString(h.Sum(nil)), int(n), nil
}

// checkCleanLog fails on any error the daemon logged (JSON lines at level ERROR) and shows
// its warnings.
func checkCleanLog(t *testing.T, p *proc, round int) {
	t.Helper()
	for _, line := range strings.Split(p.output(), "\n") {
		switch {
		case strings.Contains(line, `"level":"ERROR"`):
			t.Errorf("round %d: the daemon logged an error: %s", round, line)
		case strings.Contains(line, `"level":"WARN"`):
			t.Logf("round %d: the daemon warned: %s", round, line)
		}
	}
}

type storeStats struct{ paths, versions, blocks, stray, tmp int }

// checkVaultStore opens the stopped node's store and block folder and recomputes what the
// vault's catalog claims: every path entry's heads and history name stored versions and its
// shown head's fields match that version; reference counts equal the versions' block lists;
// no referenced block is an orphan; usage matches; every referenced block file is present
// and matches its address. Block files no version references (an upload killed before its
// commit) are counted, not failed: the collector's sweep reclaims them.
func checkVaultStore(t *testing.T, cfgPath, vaultID string) storeStats {
	t.Helper()
	cfg, err := parseConfig(cfgPath, mustRead(t, cfgPath))
	if err != nil {
		t.Fatal(err)
	}
	store, err := boltdb.Open(filepath.Join(cfg.Node.MetadataDir, boltdb.FileName), boltdb.Options{LockTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	keys, err := keyring.Open(cfg.AtRest, store)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := store.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	raw, ok := snap.Get(persist.Vaults, vaultID)
	meta := &storev1.VaultMeta{}
	if !ok || proto.Unmarshal(raw, meta) != nil {
		t.Fatalf("vault %s: no registry record", vaultID)
	}
	plain, err := keys.Open(messages.VaultKeyPurpose(vaultID), meta.SealedKey)
	if err != nil || len(plain) != 32 {
		t.Fatalf("vault %s: unseal key: %v", vaultID, err)
	}
	rc := vaultcrypt.NewRecordCipher(messages.VaultKey(plain))
	prefix := "vault/" + vaultID + "/"
	versions := map[string]*storev1.Version{}
	refs, counted := map[string]uint64{}, map[string]uint64{}
	orphans := map[string]bool{}
	entries := map[string]*storev1.PathEntry{}
	hist := map[string][]string{}
	var usage storev1.VaultUsage
	haveUsage := false
	snap.Scan(persist.Catalog, prefix, "", func(k string, val []byte) bool {
		rest := strings.TrimPrefix(k, prefix)
		switch {
		case strings.HasPrefix(rest, "ver/"):
			pt, err := rc.Open(val)
			ver := &storev1.Version{}
			if err != nil || proto.Unmarshal(pt, ver) != nil {
				t.Errorf("%s: unreadable version record", k)
				return true
			}
			if got := persist.AddressOf(val).String(); got != strings.TrimPrefix(rest, "ver/") {
				t.Errorf("%s: the record's address is %s", k, got)
			}
			versions[strings.TrimPrefix(rest, "ver/")] = ver
			for _, b := range ver.Blocks {
				refs[hex.EncodeToString(b.Addr)]++
			}
		case strings.HasPrefix(rest, "ref/"):
			counted[strings.TrimPrefix(rest, "ref/")] = binenc.BigEndian.Uint64(val)
		case strings.HasPrefix(rest, "orphan/"):
			orphans[strings.TrimPrefix(rest, "orphan/")] = true
		case strings.HasPrefix(rest, "hist/"):
			p, _, _ := strings.Cut(strings.TrimPrefix(rest, "hist/"), "\x00")
			hist[p] = append(hist[p], hex.EncodeToString(val))
		case strings.HasPrefix(rest, "path/"):
			e := &storev1.PathEntry{}
			if proto.Unmarshal(val, e) != nil {
				t.Errorf("%s: unreadable path entry", k)
				return true
			}
			entries[strings.TrimPrefix(rest, "path/")] = e
		case rest == "usage":
			haveUsage = proto.Unmarshal(val, &usage) == nil
		}
		return true
	})
	if !haveUsage {
		t.Errorf("vault %s: no usage record", vaultID)
	}
	var want storev1.VaultUsage
	inHistory := map[string]bool{}
	for p, e := range entries {
		h := hist[p]
		if uint64(len(h)) != e.Versions {
			t.Errorf("%s: the entry counts %d versions, the history holds %d", p, e.Versions, len(h))
		}
		for _, a := range h {
			inHistory[a] = true
			if versions[a] == nil {
				t.Errorf("%s: the history names a missing version %s", p, a)
			}
		}
		head := hex.EncodeToString(e.Head)
		if !slices.ContainsFunc(e.Heads, func(b []byte) bool { return hex.EncodeToString(b) == head }) {
			t.Errorf("%s: the shown head %s is not among the heads", p, shortSHA(head))
		}
		for _, hb := range e.Heads {
			if a := hex.EncodeToString(hb); versions[a] == nil || !slices.Contains(h, a) {
				t.Errorf("%s: head %s is not a retained version of the path", p, shortSHA(a))
			}
		}
		if ver := versions[head]; ver != nil {
			if ver.Path != p || ver.Size != e.Size || string(ver.ContentHash) != string(e.ContentHash) || ver.Deleted != e.Deleted {
				t.Errorf("%s: the entry (size %d, deleted %v) disagrees with its head version (path %s, size %d, deleted %v)",
					p, e.Size, e.Deleted, ver.Path, ver.Size, ver.Deleted)
			}
		}
		if e.Deleted {
			want.Deleted++
		} else {
			want.Files++
		}
		if len(e.Heads) > 1 {
			want.Conflicts++
		}
	}
	for a, ver := range versions {
		if !inHistory[a] {
			t.Errorf("version %s (%s) is in no path's history", shortSHA(a), ver.Path)
		}
		want.Versions++
		want.Bytes += ver.Size
	}
	for p := range hist {
		if entries[p] == nil {
			t.Errorf("%s: history without a path entry", p)
		}
	}
	if !maps.Equal(refs, counted) {
		t.Errorf("reference counts differ from the versions' blocks: %d counted, %d referenced", len(counted), len(refs))
		for a, n := range refs {
			if counted[a] != n {
				t.Errorf("  block %s: ref %d, referenced %d times", shortSHA(a), counted[a], n)
			}
		}
	}
	for a := range orphans {
		if refs[a] > 0 {
			t.Errorf("block %s is an orphan with %d references", shortSHA(a), refs[a])
		}
	}
	if usage.Bytes != want.Bytes || usage.Files != want.Files || usage.Deleted != want.Deleted ||
		usage.Versions != want.Versions || usage.Conflicts != want.Conflicts {
		t.Errorf("usage {bytes %d files %d deleted %d versions %d conflicts %d}, recomputed {bytes %d files %d deleted %d versions %d conflicts %d}",
			usage.Bytes, usage.Files, usage.Deleted, usage.Versions, usage.Conflicts,
			want.Bytes, want.Files, want.Deleted, want.Versions, want.Conflicts)
	}
	tmp, _ := filepath.Glob(filepath.Join(cfg.Node.DataDir, "blocks", "tmp", "*"))
	blocks, err := blockstore.Open(filepath.Join(cfg.Node.DataDir, "blocks"))
	if err != nil {
		t.Fatal(err)
	}
	for a := range refs {
		addr, err := persist.ParseAddress(a)
		if err == nil {
			_, err = blocks.Get(addr)
		}
		if err != nil {
			t.Errorf("referenced block: %v", err)
		}
	}
	stray := 0
	if err := blocks.Walk(func(a persist.Address, _ time.Time) error {
		if refs[a.String()] == 0 && !orphans[a.String()] {
			stray++
		}
		return nil
	}); err != nil {
		t.Errorf("walk the block store: %v", err)
	}
	return storeStats{paths: len(entries), versions: len(versions), blocks: len(refs), stray: stray, tmp: len(tmp)}
}
