package api

import (
	"fmt"
	"net/http"
	"net/netip"

	"github.com/go-chi/chi/v5"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/joinurl"
)

// PeersRequest is the body of POST /networks/:id/peers: a share URL (meshhold://join/v1 of
// this network, or meshhold://node/v1 of any node), or addresses, or both.
type PeersRequest struct {
	URL   string   `json:"url,omitempty"`
	Addrs []string `json:"addrs,omitempty"`
}

// PeersReply answers POST /networks/:id/peers: the network and how many addresses were new.
type PeersReply struct {
	Network NetworkReply `json:"network"`
	Added   int          `json:"added"`
}

// BootstrapRequest is the body of PUT /networks/:id/bootstrap; [] empties the list.
type BootstrapRequest struct {
	Addrs []string `json:"addrs"`
}

// InviteRequest is the body of PUT /networks/:id/bootstrap-invite.
type InviteRequest struct {
	URL string `json:"url"`
}

func (n *Networks) addPeers(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	var req PeersRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	if req.URL == "" && len(req.Addrs) == 0 {
		WriteError(w, r, messages.Invalid("url", "give a share URL (meshhold://join/v1?… or meshhold://node/v1?…) or addrs"))
		return
	}
	addrs, err := canonicalAddrs("addrs", req.Addrs, false)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if req.URL != "" {
		fromURL, err := shareAddrs(id, "url", req.URL)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		addrs = append(fromURL, addrs...)
	}
	res, err := ask[messages.NetworkUpdated](r.Context(), n.Actors, n.Mgr, messages.NetworkSelf, messages.AddPeers{ID: id, Addrs: addrs})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, PeersReply{Network: networkReply(res.Network), Added: res.Added})
}

func (n *Networks) setBootstrap(w http.ResponseWriter, r *http.Request) {
	var req BootstrapRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	if req.Addrs == nil {
		WriteError(w, r, messages.Invalid("addrs", "is required ([] empties the list)"))
		return
	}
	addrs, err := canonicalAddrs("addrs", req.Addrs, false)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	n.replaceBootstrap(w, r, addrs)
}

func (n *Networks) setBootstrapInvite(w http.ResponseWriter, r *http.Request) {
	var req InviteRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	if req.URL == "" {
		WriteError(w, r, messages.Invalid("url", "is required (meshhold://join/v1?… or meshhold://node/v1?…)"))
		return
	}
	addrs, err := shareAddrs(chi.URLParam(r, "id"), "url", req.URL)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	n.replaceBootstrap(w, r, addrs)
}

func (n *Networks) replaceBootstrap(w http.ResponseWriter, r *http.Request, addrs []string) {
	msg := messages.SetBootstrap{ID: chi.URLParam(r, "id"), Addrs: addrs}
	res, err := ask[messages.NetworkUpdated](r.Context(), n.Actors, n.Mgr, messages.NetworkSelf, msg)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, networkReply(res.Network))
}

// shareAddrs reads the bootstrap addresses of a share URL meant for network id: a join URL
// must carry that network's key (its peers run on no other), a node URL may name any node.
func shareAddrs(id, field, url string) ([]string, error) {
	addrs, err := joinurl.PeerAddrs(url)
	if err != nil {
		return nil, shareURLError(field, err)
	}
	if j, err := joinurl.ParseJoin(url); err == nil && j.Key.Fingerprint() != id {
		return nil, messages.Invalid(field, "is a join URL of network %s, not of network %s; add it with POST /networks", j.Key.Fingerprint(), id)
	}
	return addrs, nil
}

// maxAddrsInRequest bounds the addresses one request may carry before any is parsed.
const maxAddrsInRequest = 4 * messages.MaxBootstrap

// canonicalAddrs parses bootstrap addresses: each a multiaddr with a dialable address (not
// 0.0.0.0 or ::) ending in /p2p/<peer id>, returned in canonical form. With skipBad, addresses
// that fail are left out instead of refused.
func canonicalAddrs(field string, addrs []string, skipBad bool) ([]string, error) {
	if len(addrs) > maxAddrsInRequest {
		return nil, messages.Invalid(field, "has %d addresses, at most %d", len(addrs), maxAddrsInRequest)
	}
	out := make([]string, 0, len(addrs))
	for i, a := range addrs {
		c, err := canonicalAddr(a)
		switch {
		case err == nil:
			out = append(out, c)
		case !skipBad:
			return nil, messages.Invalid(field, "[%d] %q: %v", i, clipAddr(a), err)
		}
	}
	return out, nil
}

func canonicalAddr(s string) (string, error) {
	if len(s) > messages.MaxBootstrapAddr {
		return "", fmt.Errorf("is %d bytes, at most %d", len(s), messages.MaxBootstrapAddr)
	}
	m, err := ma.NewMultiaddr(s)
	if err != nil {
		return "", fmt.Errorf("not a multiaddr: %w", err)
	}
	transport, last := ma.SplitLast(m)
	if last == nil || last.Code() != ma.P_P2P {
		return "", fmt.Errorf("does not end in /p2p/<peer id>")
	}
	if _, err := peer.IDFromBytes(last.RawValue()); err != nil {
		return "", fmt.Errorf("/p2p/ holds no valid peer id: %w", err)
	}
	if len(transport) == 0 {
		return "", fmt.Errorf("has no address before /p2p/")
	}
	if c := transport[0].Code(); c == ma.P_IP4 || c == ma.P_IP6 {
		if ip, err := netip.ParseAddr(transport[0].Value()); err == nil && ip.IsUnspecified() {
			return "", fmt.Errorf("%s is the unspecified address, not one a peer can dial", ip)
		}
	}
	return m.String(), nil
}

func clipAddr(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:80] + "…"
}
