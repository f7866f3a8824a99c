package keyrotate

import (
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/meshhold/meshhold/p2p"
	"github.com/meshhold/meshhold/p2p/swarmkey"
)

// Decider decides what to do with a key peer from pushed for network networkID: StatusApplied,
// StatusHeld or StatusRefused. An error refuses the key and its text is sent to the peer, so
// it must hold nothing secret.
type Decider func(from p2p.PeerID, networkID string, key swarmkey.Key) (status string, err error)

// Option adjusts Serve.
type Option func(*server)

// OnApplied runs fn, on its own goroutine, once the peer has the answer "applied": the moment
// to restart the mesh on the new key without cutting off the answer.
func OnApplied(fn func(from p2p.PeerID, networkID string, key swarmkey.Key)) Option {
	return func(s *server) { s.applied = fn }
}

type server struct {
	decide  Decider
	applied func(from p2p.PeerID, networkID string, key swarmkey.Key)
}

// Serve answers pushes on t with decide until stop is called.
func Serve(t p2p.Transport, decide Decider, opts ...Option) (stop func()) {
	srv := &server{decide: decide}
	for _, o := range opts {
		o(srv)
	}
	t.SetStreamHandler(Protocol, srv.handle)
	return func() { t.RemoveStreamHandler(Protocol) }
}

func (srv *server) handle(s p2p.Stream) {
	_ = s.SetDeadline(time.Now().Add(Timeout))
	frame, err := readFrame(s)
	if err != nil {
		_ = s.Reset()
		return
	}
	from := s.Peer()
	req, key, a := parseRequest(frame)
	if a.Status == "" {
		a = srv.ask(from, req.NetworkID, key)
	}
	body, _ := json.Marshal(a)
	if err := writeFrame(s, body); err != nil {
		_ = s.Reset()
		return
	}
	_ = s.CloseWrite()
	// The pusher closes once it has read the answer; only then is it safe to restart the mesh.
	_, err = io.Copy(io.Discard, io.LimitReader(s, MaxFrame))
	_ = s.Close()
	if err == nil && a.Status == StatusApplied && srv.applied != nil {
		go srv.applied(from, req.NetworkID, key)
	}
}

// parseRequest reads a request; a non-empty status in the ack refuses it.
func parseRequest(frame []byte) (request, swarmkey.Key, ack) {
	var req request
	if err := json.Unmarshal(frame, &req); err != nil {
		return req, swarmkey.Key{}, ack{Status: StatusRefused, Error: "malformed request"}
	}
	if req.NetworkID == "" || len(req.NetworkID) > maxNetworkID || strings.ContainsFunc(req.NetworkID, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return req, swarmkey.Key{}, ack{Status: StatusRefused, Error: "malformed network id"}
	}
	key, err := swarmkey.Parse(req.Key)
	if err != nil {
		return req, swarmkey.Key{}, ack{Status: StatusRefused, Error: err.Error()} // Parse never echoes the key
	}
	return req, key, ack{}
}

// ask runs the decider, turning its error or an unknown status into a refusal.
func (srv *server) ask(from p2p.PeerID, networkID string, key swarmkey.Key) ack {
	status, err := srv.decide(from, networkID, key)
	switch {
	case err != nil:
		return ack{Status: StatusRefused, Error: err.Error()}
	case status == StatusApplied, status == StatusHeld, status == StatusRefused:
		return ack{Status: status}
	}
	return ack{Status: StatusRefused, Error: "the node could not decide"}
}
