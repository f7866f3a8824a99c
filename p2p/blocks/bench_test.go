package blocks_test

import (
	"context"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"

	"github.com/meshhold/meshhold/p2p/blocks"
	"github.com/meshhold/meshhold/persist"
)

const (
	benchBlocks    = 256
	benchBlockSize = 4 << 20
	benchBytes     = benchBlocks * benchBlockSize // 1 GiB
	rawProto       = "/bench/raw/1.0"
)

// BenchmarkReplicate1GiB replicates 1 GiB (256 random 4 MiB blocks) from A's block store
// (persist/blockstore) to B's over two real meshes with the swarm key (TCP, PSK, Noise, yamux,
// on loopback, both in this process), by Fetch (B pulls) and by Push (A pushes). In the same
// run, as anchors, 1 GiB goes over a raw libp2p stream between the same two hosts, in 4 MiB
// writes (before and after the transfers; the mean is the anchor), and over a raw stream
// between two plain libp2p hosts with the same transports and no swarm key. One more Fetch
// goes into a store that drops the bytes, to split off the cost of writing block files on B.
//
//	go test ./p2p/blocks -run '^$' -bench Replicate -benchtime 1x
//
// Rates are MB/s (10^6 bytes); *-x-raw is a rate over the anchor's (target ≥ 0.8);
// psk-penalty-x is the plain stream's rate over the anchor's; cpu-ms/block is the process's
// CPU time (user + system, both nodes) per 4 MiB block.
func BenchmarkReplicate1GiB(b *testing.B) {
	a, bb := meshPair(b)
	storeA := openBlockstore(b)
	addrs := fillStore(b, storeA, 0, benchBlocks, benchBlockSize)
	if err := storeA.Sync(); err != nil { // no writeback of A's files during the runs
		b.Fatal(err)
	}
	stopA := blocks.Serve(a, storeA, blocks.ServerConfig{})
	defer stopA()
	sink(a.Host())
	sink(bb.Host())
	plainA, plainB := plainPair(b)
	ctx := context.Background()
	// Warm-up: one fetch whose store is deleted, so the measured runs write block files into
	// page cache this VM has backed already (a first touch of guest memory costs more than
	// the copy) and the connection's windows are grown.
	warm := openBlockstore(b)
	if _, err := blocks.Fetch(ctx, bb, a.Self(), addrs, warm); err != nil {
		b.Fatal(err)
	}
	_ = os.RemoveAll(warm.Root())

	var raw, rawPlain, fetch, fetchNull, push run
	b.ResetTimer()
	for range b.N {
		raw.add(measure(func() { rawPush(b, a.Host(), bb.Host()) }))
		storeB := openBlockstore(b)
		fetch.add(measure(func() {
			res, err := blocks.Fetch(ctx, bb, a.Self(), addrs, storeB)
			if err != nil || res.Bytes != benchBytes {
				b.Fatalf("fetch: %d bytes, %v", res.Bytes, err)
			}
		}))
		_ = os.RemoveAll(storeB.Root()) // dropped before writeback, as the next run's too

		storeB = openBlockstore(b)
		stopB := blocks.Serve(bb, storeB, blocks.ServerConfig{MaxPutBytes: 2 * benchBytes})
		push.add(measure(func() {
			res, err := blocks.Push(ctx, a, bb.Self(), addrs, storeA)
			if err != nil || res.Bytes != benchBytes {
				b.Fatalf("push: %d bytes, %v", res.Bytes, err)
			}
		}))
		stopB()
		_ = os.RemoveAll(storeB.Root())

		fetchNull.add(measure(func() {
			res, err := blocks.Fetch(ctx, bb, a.Self(), addrs, nullStore{})
			if err != nil || res.Bytes != benchBytes {
				b.Fatalf("fetch into a null store: %d bytes, %v", res.Bytes, err)
			}
		}))
		raw.add(measure(func() { rawPush(b, a.Host(), bb.Host()) }))
		rawPlain.add(measure(func() { rawPush(b, plainA, plainB) }))
	}
	b.StopTimer()
	anchor := raw.mbps()
	b.ReportMetric(anchor, "raw-psk-MB/s")
	b.ReportMetric(fetch.mbps(), "fetch-MB/s")
	b.ReportMetric(push.mbps(), "push-MB/s")
	b.ReportMetric(fetch.mbps()/anchor, "fetch-x-raw")
	b.ReportMetric(push.mbps()/anchor, "push-x-raw")
	b.ReportMetric(rawPlain.mbps(), "raw-nopsk-MB/s")
	b.ReportMetric(rawPlain.mbps()/anchor, "psk-penalty-x")
	b.ReportMetric(fetchNull.mbps(), "fetch-nulldst-MB/s")
	for _, r := range []struct {
		name string
		run  *run
	}{{"raw-psk", &raw}, {"raw-nopsk", &rawPlain}, {"fetch", &fetch}, {"fetch-nulldst", &fetchNull}, {"push", &push}} {
		b.ReportMetric(r.run.cpuPerBlock(), r.name+"-cpu-ms/block")
	}
}

// run adds up the transfers of one kind.
type run struct {
	n         int
	wall, cpu time.Duration
}

func (r *run) add(wall, cpu time.Duration) { r.n, r.wall, r.cpu = r.n+1, r.wall+wall, r.cpu+cpu }

func (r *run) mbps() float64 { return float64(benchBytes) * float64(r.n) / r.wall.Seconds() / 1e6 }

func (r *run) cpuPerBlock() float64 {
	return float64(r.cpu.Microseconds()) / 1e3 / float64(r.n*benchBlocks)
}

// measure runs fn and returns its wall and CPU time (the whole process: both nodes).
func measure(fn func()) (wall, cpu time.Duration) {
	c0, start := cpuTime(), time.Now()
	fn()
	return time.Since(start), cpuTime() - c0
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// nullStore lacks every block and drops what it is given.
type nullStore struct{}

func (nullStore) Put(persist.Address, []byte) error   { return nil }
func (nullStore) Get(persist.Address) ([]byte, error) { return nil, persist.ErrBlockMissing }
func (nullStore) Has(persist.Address) (bool, error)   { return false, nil }
func (nullStore) Delete(persist.Address) error        { return nil }
func (nullStore) Sync() error                         { return nil }

// sink serves the raw protocol on h: read everything, then acknowledge with one byte.
func sink(h host.Host) {
	h.SetStreamHandler(rawProto, func(s network.Stream) {
		defer s.Close()
		_, _ = io.Copy(io.Discard, s)
		_, _ = s.Write([]byte{1})
	})
}

// rawPush writes 1 GiB from "from" to "to" on one raw stream, in 4 MiB writes (the size of a
// block frame), and waits for the acknowledgement.
func rawPush(b *testing.B, from, to host.Host) {
	buf := make([]byte, benchBlockSize)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	s, err := from.NewStream(context.Background(), to.ID(), rawProto)
	if err != nil {
		b.Fatal(err)
	}
	for sent := 0; sent < benchBytes; sent += len(buf) {
		if _, err := s.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.CloseWrite(); err != nil {
		b.Fatal(err)
	}
	if ack, err := io.ReadAll(s); err != nil || len(ack) != 1 {
		b.Fatalf("ack %v, %v", ack, err)
	}
	_ = s.Close()
}

// plainPair starts two libp2p hosts with the mesh's transports — TCP, Noise, yamux — and no
// swarm key, connected, each sinking the raw protocol.
func plainPair(b *testing.B) (host.Host, host.Host) {
	newHost := func() host.Host {
		h, err := libp2p.New(
			libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"),
			libp2p.NoTransports,
			libp2p.Transport(tcp.NewTCPTransport),
			libp2p.Security(noise.ID, noise.New),
			libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
			libp2p.DisableRelay(),
			libp2p.DisableMetrics(),
		)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = h.Close() })
		sink(h)
		return h
	}
	x, y := newHost(), newHost()
	if err := x.Connect(context.Background(), peer.AddrInfo{ID: y.ID(), Addrs: y.Addrs()}); err != nil {
		b.Fatal(err)
	}
	return x, y
}
