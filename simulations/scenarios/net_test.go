package scenarios_test

import (
	"testing"

	"github.com/meshhold/meshhold/simulations/scenarios"
	"github.com/meshhold/meshhold/simulations/sim"
)

// TestGossipNet plays the tier-2 network simulation: partitions cut what they say, and after
// healing every node converges; every seed twice, same trace hash (memnet's trace included).
func TestGossipNet(t *testing.T) {
	sim.Check(t, scenarios.GossipNet, seeds(50))
}
