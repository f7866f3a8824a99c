package vaultsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/wire"
)

// request is one question on a catalog stream; one request and one answer per stream.
type request struct {
	Op      string                 `json:"op"` // "summary", "list" or "get"
	Vault   string                 `json:"vault"`
	Buckets []byte                 `json:"buckets,omitempty"`
	Addrs   []messages.VersionAddr `json:"addrs,omitempty"`
}

// answer is the reply; Error set means the question was refused.
type answer struct {
	Error   string                 `json:"error,omitempty"`
	NoVault bool                   `json:"no_vault,omitempty"`
	Summary *messages.VaultSummary `json:"summary,omitempty"`
	Addrs   []messages.VersionAddr `json:"addrs,omitempty"`
	Pruned  []messages.VersionAddr `json:"pruned,omitempty"`
	Records *messages.SyncRecords  `json:"records,omitempty"`
}

// maxRequest bounds a request frame: a get of messages.MaxSyncGet addresses, each a JSON
// array of 32 numbers (up to 4 characters a byte), with room to spare.
const maxRequest = messages.MaxSyncGet*(32*4+2) + 64<<10

// requestTimeout bounds one exchange on the serving side.
const requestTimeout = 30 * time.Second

// Serve answers catalog questions from peers out of cat until stop is called.
func Serve(t p2p.Transport, cat Catalog, log *slog.Logger) (stop func()) {
	if log == nil {
		log = slog.Default()
	}
	t.SetStreamHandler(Protocol, func(s p2p.Stream) {
		defer s.Close()
		_ = s.SetDeadline(time.Now().Add(requestTimeout))
		var req request
		if err := wire.ReadJSON(s, maxRequest, &req); err != nil {
			log.Debug("catalog: bad request", "peer", s.Peer(), "err", err)
			_ = s.Reset()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		ans := serve(ctx, cat, req)
		if err := wire.WriteJSON(s, ans); err != nil {
			log.Debug("catalog: answer", "peer", s.Peer(), "err", err)
		}
	})
	return func() { t.RemoveStreamHandler(Protocol) }
}

func serve(ctx context.Context, cat Catalog, req request) answer {
	var ans answer
	var err error
	switch req.Op {
	case "summary":
		var sum messages.VaultSummary
		if sum, err = cat.Summary(ctx, req.Vault); err == nil {
			ans.Summary = &sum
		}
	case "list":
		if len(req.Buckets) > listBatch {
			return answer{Error: fmt.Sprintf("at most %d buckets a list", listBatch)}
		}
		ans.Addrs, ans.Pruned, err = cat.List(ctx, req.Vault, req.Buckets)
	case "get":
		if len(req.Addrs) > messages.MaxSyncGet {
			return answer{Error: fmt.Sprintf("at most %d addresses", messages.MaxSyncGet)}
		}
		var recs messages.SyncRecords
		if recs, err = cat.Get(ctx, req.Vault, req.Addrs); err == nil {
			ans.Records = &recs
		}
	default:
		return answer{Error: fmt.Sprintf("unknown op %q", req.Op)}
	}
	if errors.Is(err, ErrNoVault) {
		return answer{NoVault: true, Error: err.Error()}
	}
	if err != nil {
		return answer{Error: err.Error()}
	}
	return ans
}

// ask sends one question to peer and reads its answer.
func ask(ctx context.Context, t p2p.Transport, peer p2p.PeerID, req request) (answer, error) {
	s, err := t.OpenStream(ctx, peer, Protocol)
	if err != nil {
		return answer{}, fmt.Errorf("catalog %s with %s: %w", req.Op, peer, err)
	}
	defer s.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = s.SetDeadline(dl)
	}
	if err := wire.WriteJSON(s, req); err != nil {
		_ = s.Reset()
		return answer{}, fmt.Errorf("catalog %s with %s: %w", req.Op, peer, err)
	}
	_ = s.CloseWrite()
	var ans answer
	if err := wire.ReadJSON(s, MaxFrame, &ans); err != nil {
		return answer{}, fmt.Errorf("catalog %s with %s: %w", req.Op, peer, err)
	}
	switch {
	case ans.NoVault:
		return ans, fmt.Errorf("%s: %w", peer, ErrNoVault)
	case ans.Error != "":
		return ans, fmt.Errorf("catalog %s with %s: %s", req.Op, peer, ans.Error)
	}
	return ans, nil
}

// RemoteSummary asks peer for its summary of vault, bucket hashes included.
func RemoteSummary(ctx context.Context, t p2p.Transport, peer p2p.PeerID, vault string) (messages.VaultSummary, error) {
	ans, err := ask(ctx, t, peer, request{Op: "summary", Vault: vault})
	if err != nil {
		return messages.VaultSummary{}, err
	}
	if ans.Summary == nil || len(ans.Summary.Buckets) != messages.SyncBuckets {
		return messages.VaultSummary{}, fmt.Errorf("catalog summary from %s: malformed", peer)
	}
	return *ans.Summary, nil
}

// RemoteList asks peer for the retained and pruned addresses of vault in buckets.
func RemoteList(ctx context.Context, t p2p.Transport, peer p2p.PeerID, vault string, buckets []byte) (addrs, pruned []messages.VersionAddr, err error) {
	ans, err := ask(ctx, t, peer, request{Op: "list", Vault: vault, Buckets: buckets})
	return ans.Addrs, ans.Pruned, err
}

// RemoteGet asks peer for the records of addrs.
func RemoteGet(ctx context.Context, t p2p.Transport, peer p2p.PeerID, vault string, addrs []messages.VersionAddr) (messages.SyncRecords, error) {
	ans, err := ask(ctx, t, peer, request{Op: "get", Vault: vault, Addrs: addrs})
	if err != nil {
		return messages.SyncRecords{}, err
	}
	if ans.Records == nil {
		return messages.SyncRecords{}, fmt.Errorf("catalog get from %s: malformed", peer)
	}
	return *ans.Records, nil
}
