package room_test

import (
	"fmt"
	"testing"

	"github.com/meshhold/meshhold/messages"
)

// BenchmarkReceive measures a member checking (signature, chain, body) and storing envelopes
// in batches of 100, as gossip hands them over; memstore, so no fsync.
func BenchmarkReceive(b *testing.B) {
	p := newPair(b)
	envs := make([]messages.ChatEnvelope, 0, b.N+100)
	for i := range b.N + 100 {
		envs = append(envs, p.a.send(fmt.Sprint("message ", i)).Envelope)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += 100 {
		if rep := p.b.receive(envs[i : i+100]...); rep.Rejected != 0 {
			b.Fatalf("%+v", rep)
		}
	}
}
