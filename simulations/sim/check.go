package sim

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// Check plays every seed of seeds twice (Twice), failing at the first seed that breaks an
// invariant or diverges: it prints the seed, the options derived from it and the command that
// replays it, and keeps the seed as a regression. A multi-seed run then fails if a declared
// "sometimes" kind never fired. It logs the seeds per minute.
func Check(t *testing.T, sc Scenario, seeds Seeds) {
	t.Helper()
	list, err := seeds.List(sc.Name)
	if err != nil {
		t.Fatal(err)
	}
	ResetSometimes()
	start := time.Now()
	for _, seed := range list {
		out, err := Twice(t, sc, seed)
		if seeds.One != 0 && seeds.Dump {
			kept := Play(t, sc, seed, true)
			var b strings.Builder
			kept.Trace.Dump(&b)
			t.Logf("trace of seed %d (%d records, hash %s):\n%s", seed, kept.Trace.Len(), kept.Trace.Sum(), b.String())
		}
		if err == nil {
			continue
		}
		kept := ""
		if seeds.One == 0 {
			if kerr := seeds.keep(sc.Name, seed, err.Error()); kerr != nil {
				kept = fmt.Sprintf("\ncould not keep the seed: %v", kerr)
			} else {
				kept = fmt.Sprintf("\nkept in %s", seeds.path(sc.Name))
			}
		}
		t.Fatalf("simulation %s failed at seed %d: %v\noptions: %+v\nrerun: %s%s",
			sc.Name, seed, err, out.Options, Rerun(sc, seed), kept)
	}
	took := time.Since(start)
	rate := float64(len(list)) / took.Minutes()
	t.Logf("%s: %d seeds, each played twice, in %s: %.0f seeds/minute", sc.Name, len(list), took.Round(time.Millisecond), rate)
	if v := os.Getenv("SIM_REPORT"); v != "" {
		appendReport(v, fmt.Sprintf("%s\t%d seeds\t%s\t%.0f seeds/minute\n", sc.Name, len(list), took.Round(time.Millisecond), rate))
	}
	if seeds.One != 0 {
		return
	}
	if missing := Missing(sc.Sometimes); len(missing) > 0 {
		t.Errorf("simulation %s: over %d seeds these never happened: %s\n(hits: %v)",
			sc.Name, len(list), strings.Join(missing, "; "), Hits())
	}
}

// Rerun is the command that replays seed of sc.
func Rerun(sc Scenario, seed uint64) string {
	return fmt.Sprintf("go test ./simulations/scenarios -run '^%s$' -seed=%d -v", sc.Test, seed)
}

// appendReport adds a line to the file named by SIM_REPORT (make sim prints it).
func appendReport(path, line string) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(line)
}
