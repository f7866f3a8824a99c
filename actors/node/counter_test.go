package node_test

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/meshhold/meshhold/actors/host"
	"github.com/meshhold/meshhold/persist"
)

// counter is the small test actor of the pipeline tests: a number per entity, kept as a
// record and read through the view; each increment reports an event.
type counter struct{ entity string }

type (
	incr    struct{ By int }
	get     struct{}
	value   struct{ N uint64 }
	boom    struct{}
	arm     struct{ After time.Duration }
	counted struct {
		N uint64 `json:"n"`
	}
	getRings struct{}
	peek     struct{} // answered at once, even while writes are in flight
)

var errNotPositive = errors.New("counter: increment must be positive")

func loadCounter(entity string, _ persist.View) (host.Core, error) {
	return &counter{entity: entity}, nil
}

func (c *counter) key(name string) string { return c.entity + "/" + name }

func (c *counter) read(v persist.View, name string) uint64 {
	b, ok := v.Get(persist.Meta, c.key(name))
	if !ok {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func (c *counter) put(name string, n uint64) persist.Write {
	return persist.Write{Bucket: persist.Meta, Key: c.key(name), Value: binary.BigEndian.AppendUint64(nil, n)}
}

func (c *counter) Step(now time.Time, msg any, v persist.View) host.Output {
	switch m := msg.(type) {
	case incr:
		if m.By <= 0 {
			return host.Output{Reply: errNotPositive}
		}
		n := c.read(v, "n") + uint64(m.By)
		return host.Output{
			Writes: []persist.Write{c.put("n", n)},
			Events: []host.Event{{Type: "counted", Data: counted{N: n}}},
			Reply:  value{N: n},
		}
	case get:
		return host.Output{Reply: value{N: c.read(v, "n")}}
	case boom:
		panic("counter: boom")
	case arm:
		return host.Output{Writes: []persist.Write{c.put("armed", uint64(now.Add(m.After).UnixNano()))}, Timers: []host.Timer{{Key: "ring", At: now.Add(m.After)}}, Reply: value{}}
	case host.Recovered:
		if at := c.read(v, "armed"); at != 0 {
			return host.Output{Timers: []host.Timer{{Key: "ring", At: time.Unix(0, int64(at))}}}
		}
	case host.Wake:
		return host.Output{Writes: []persist.Write{c.put("armed", 0), c.put("rings", c.read(v, "rings")+1)}}
	case peek:
		return host.Output{Reply: value{N: c.read(v, "n")}, Immediate: true}
	case getRings:
		return host.Output{Reply: value{N: c.read(v, "rings")}}
	}
	return host.Output{}
}
