package scenarios_test

import (
	"testing"

	"github.com/meshhold/meshhold/simulations/scenarios"
	"github.com/meshhold/meshhold/simulations/sim"
)

// TestWholeNode plays the tier-2 whole-node simulation: every seed twice inside its own
// synctest bubble, same trace hash, the invariants after every commit and every restart.
func TestWholeNode(t *testing.T) {
	sim.Check(t, scenarios.WholeNode, seeds(50))
}
