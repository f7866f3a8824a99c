package sim

import (
	"hash/fnv"
	"math/rand/v2"
)

// NewRand is the root stream of a seed.
func NewRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// Stream is the sub-stream name of a seed: independent of every other name, so a scenario that
// draws more from one stream does not shift the draws of the others.
func Stream(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// Chance reports true with probability p.
func Chance(r *rand.Rand, p float64) bool { return p > 0 && r.Float64() < p }

// Pick returns a uniformly chosen element of xs (the zero value when it is empty).
func Pick[T any](r *rand.Rand, xs []T) T {
	var zero T
	if len(xs) == 0 {
		return zero
	}
	return xs[r.IntN(len(xs))]
}
