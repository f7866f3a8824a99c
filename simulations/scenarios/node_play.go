package scenarios

import (
	"context"
	"errors"
	"fmt"

	"github.com/meshhold/meshhold/messages"
)

// play boots the node, creates the vault, runs the clients with every fault armed, then
// crashes the node a last time, reads everything back and stops it cleanly.
func (s *nodeSim) play() error {
	s.bootNode()
	created := false
	s.ask("setup", s.reg, messages.RegistryID, createVault(messages.VaultPolicy{KeepVersions: 2 + s.rng.IntN(4)}), func(reply any) {
		_, created = reply.(messages.VaultMeta)
		if !created {
			s.fail("create the vault: %v", reply)
		}
	})
	s.b.Run(func() bool { return true })
	if !created {
		return errors.Join(errors.New("the vault was not created"), s.err)
	}
	s.faults()
	clients := make([]*nodeClient, s.opts.Clients)
	for i := range clients {
		clients[i] = &nodeClient{s: s, id: i, rng: s.r.Stream(fmt.Sprintf("client-%d", i)), left: s.opts.Ops / s.opts.Clients}
		clients[i].next()
	}
	s.b.Run(func() bool {
		if s.err != nil {
			return true
		}
		for _, c := range clients {
			if c.busy || c.left > 0 {
				return false
			}
		}
		return true
	})
	s.ending = true
	if s.err != nil {
		return s.err
	}
	s.crash("the last crash")
	s.b.Run(func() bool { return s.err != nil || (!s.down && s.readBack == s.boot) })
	if s.err == nil && s.readBack != s.boot {
		return errors.New("the read-back after the last restart did not finish")
	}
	return s.stop()
}

// stop stops the node on a goroutine while its lanes keep turning, as the daemon would.
func (s *nodeSim) stop() error {
	if s.err != nil {
		return s.err
	}
	stopped := false
	n := s.n
	s.b.Go(func() (any, error) { return nil, n.Stop(context.Background()) }, func(_ any, err error) {
		stopped = true
		if err != nil {
			s.fail("stop: %v", err)
		}
	})
	s.b.Run(func() bool { return stopped })
	if !stopped && s.err == nil {
		s.fail("the node did not stop")
	}
	return s.err
}
