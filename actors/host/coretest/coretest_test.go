package coretest

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/persist"
)

// counter is a core that counts "inc" in a record keyed by its entity; "get" only reads.
type counter struct {
	key string
	n   int
}

func loadCounter(entity string, v persist.View) (host.Core, error) {
	c := &counter{key: entity}
	if raw, ok := v.Get(persist.Meta, entity); ok {
		n, err := strconv.Atoi(string(raw))
		if err != nil {
			return nil, err
		}
		c.n = n
	}
	return c, nil
}

func (c *counter) Step(now time.Time, msg any, _ persist.View) host.Output {
	switch msg {
	case host.Recovered{}:
		return host.Output{Events: []host.Event{{Type: "recovered", Data: c.n}}}
	case "inc":
		c.n++
		return host.Output{
			Writes: []persist.Write{{Bucket: persist.Meta, Key: c.key, Value: []byte(strconv.Itoa(c.n))}},
			Events: []host.Event{{Type: "incremented", Data: c.n}},
			Reply:  fmt.Sprintf("%d at %d", c.n, now.UnixMilli()),
		}
	}
	return host.Output{Reply: fmt.Sprintf("%d at %d", c.n, now.UnixMilli())}
}

func events(d *Driver) string {
	s := ""
	for _, ev := range d.Events {
		s += fmt.Sprintf("%s %v;", ev.Type, ev.Data)
	}
	return s
}

func TestDriverStepsCommitsAndReloads(t *testing.T) {
	d := New(t, "counter/a", loadCounter)
	if got := d.Step("get"); got != "0 at 1700000000000" {
		t.Fatalf("first step: %v (time must stand still with Tick 0)", got)
	}
	d.Tick = time.Second
	if got := d.Step("inc"); got != "1 at 1700000001000" {
		t.Fatalf("inc: %v", got)
	}
	if got := d.Step("get"); got != "1 at 1700000002000" || d.Store.Commits() != 1 {
		t.Fatalf("get: %v after %d commits, want 1 commit: a step without writes commits nothing", got, d.Store.Commits())
	}
	d.Reload()
	if got := d.Step("get"); got != "1 at 1700000004000" {
		t.Fatalf("after reload: %v", got)
	}
	if got, want := events(d), "recovered 0;incremented 1;recovered 1;"; got != want {
		t.Fatalf("events %s, want %s", got, want)
	}
}

// fatalTB records a Fatal call and ends the goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	fatal string
}

func (f *fatalTB) Fatal(args ...any) {
	f.fatal = fmt.Sprint(args...)
	runtime.Goexit()
}

func TestDriverFailsTheTestWhenACommitFails(t *testing.T) {
	d := New(t, "counter/a", loadCounter)
	tb := &fatalTB{TB: t}
	d.T = tb
	d.Store.Buckets = []persist.Bucket{persist.Settings}
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Step("inc")
	}()
	<-done
	if tb.fatal == "" || d.Store.Commits() != 0 {
		t.Fatalf("a write to a bucket the store refuses: fatal %q, %d commits", tb.fatal, d.Store.Commits())
	}
}
