package scenarios_test

import (
	"flag"
	"os"
	"testing"

	"github.com/meshhold/meshhold/simulations/sim"
)

var (
	seedFlag  = flag.Uint64("seed", 0, "replay only this seed (no \"sometimes\" check)")
	seedsFlag = flag.Int("seeds", 0, "seeds per scenario (0: the scenario's share of make test)")
	baseFlag  = flag.Uint64("seedbase", 1, "first seed of the run")
	dumpFlag  = flag.Bool("dump", false, "with -seed: print the seed's trace")
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(m.Run())
}

// seeds is what the flags ask for; def is the scenario's share of make test.
func seeds(def int) sim.Seeds {
	n := *seedsFlag
	if n == 0 {
		n = def
	}
	return sim.Seeds{One: *seedFlag, Count: n, Base: *baseFlag, Dir: "../testdata", Dump: *dumpFlag}
}
