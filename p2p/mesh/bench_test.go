package mesh

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/meshhold/meshhold/p2p"
)

// benchBytes is what each benchmark iteration moves: 64 MiB.
const benchBytes = 64 << 20

// chunk is the write size: what a block transfer writes at a time.
const chunk = 256 << 10

// BenchmarkStreamThroughput moves 64 MiB per iteration over one libp2p stream between two meshes
// on loopback: TCP + swarm key (XSalsa20) + Noise + yamux. MEASURED.md: ≈ 0.2 GB/s with the PSK.
// Compare with BenchmarkTCPThroughputAnchor, run beside it.
func BenchmarkStreamThroughput(b *testing.B) {
	a := start(b, Config{})
	c := start(b, Config{Bootstrap: []string{loopbackAddr(b, a)}})
	eventually(b, 5*time.Second, "connect", func() bool { return connectedTo(c, a.Self()) })
	a.SetStreamHandler("/bench/sink/1.0", func(s p2p.Stream) {
		defer s.Close()
		_, _ = io.Copy(io.Discard, s)
		_, _ = s.Write([]byte{1})
	})
	buf := make([]byte, chunk)
	b.SetBytes(benchBytes)
	b.ResetTimer()
	for range b.N {
		s, err := c.OpenStream(context.Background(), a.Self(), "/bench/sink/1.0")
		if err != nil {
			b.Fatal(err)
		}
		sendAndAck(b, s, buf)
	}
}

// BenchmarkTCPThroughputAnchor moves the same 64 MiB over a plain loopback TCP connection: the
// ceiling the mesh is measured against (MEASURED.md: ≈ 1.7 GB/s with iperf3).
func BenchmarkTCPThroughputAnchor(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_, _ = io.Copy(io.Discard, conn)
				_, _ = conn.Write([]byte{1})
			}()
		}
	}()
	buf := make([]byte, chunk)
	b.SetBytes(benchBytes)
	b.ResetTimer()
	for range b.N {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		sendAndAck(b, tcpHalfCloser{conn.(*net.TCPConn)}, buf)
	}
}

// halfCloser is what both benchmarks write to.
type halfCloser interface {
	io.ReadWriteCloser
	CloseWrite() error
}

type tcpHalfCloser struct{ *net.TCPConn }

// sendAndAck writes benchBytes, half-closes, and waits for the receiver's one-byte ack, so the
// time covers delivery, not just buffering.
func sendAndAck(b *testing.B, s halfCloser, buf []byte) {
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
