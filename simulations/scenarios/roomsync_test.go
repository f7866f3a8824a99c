package scenarios_test

import (
	"testing"

	"github.com/meshhold/meshhold/simulations/scenarios"
	"github.com/meshhold/meshhold/simulations/sim"
)

// TestRoomSync plays the tier-1 chat simulation: every seed twice, same trace hash, every
// store checked against the senders' committed chains after every step, and every member's
// history identical once the faults stop.
func TestRoomSync(t *testing.T) {
	sim.Check(t, scenarios.RoomSync, seeds(15))
}
