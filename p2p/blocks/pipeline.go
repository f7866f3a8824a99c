package blocks

import (
	"sync"

	"github.com/meshhold/meshhold/persist"
)

// Both directions overlap disk and network: the sender reads block i+1 from its store while
// block i is written to the stream, and the receiver stores block i while block i+1 arrives.
// The hand-over is unbuffered, so each side holds at most two pooled buffers per stream (one
// being filled, one being drained): about 8 MiB.

// loaded is one block read from the local store for sending; buf is nil when it could not be
// read (missing, corrupt, too large: err says which).
type loaded struct {
	addr persist.Address
	buf  *[]byte
	n    int
	err  error
}

// frame is the block frame of a loaded block (addr alone when it was not read).
func (l loaded) frame() []byte {
	if l.buf == nil {
		b := make([]byte, headroom)
		return blockFrame(b, l.addr, 0)
	}
	return blockFrame(*l.buf, l.addr, l.n)
}

func (l loaded) release() {
	if l.buf != nil {
		putBuf(l.buf)
	}
}

// loader reads addrs from store in order, one block ahead of its consumer, until the list
// ends or stop is called; stop returns once the reading goroutine is done, and releases the
// buffers still queued.
type loader struct {
	out  chan loaded
	quit chan struct{}
	once sync.Once
	done chan struct{}
}

func startLoader(store persist.BlockStore, addrs []persist.Address) *loader {
	l := &loader{out: make(chan loaded), quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		defer close(l.out)
		for _, a := range addrs {
			it := loaded{addr: a, buf: getBuf()}
			it.n, it.err = readLocal(store, a, *it.buf)
			if it.err != nil {
				putBuf(it.buf)
				it.buf = nil
			}
			select {
			case l.out <- it:
			case <-l.quit:
				it.release()
				return
			}
		}
	}()
	return l
}

// stop ends the loader early (or after the end) and releases what it still holds.
func (l *loader) stop() {
	l.once.Do(func() { close(l.quit) })
	<-l.done
	for it := range l.out {
		it.release()
	}
}

// arrived is one block that came off a stream, for the putter: verified bytes to Put, or an
// outcome with no bytes.
type arrived struct {
	addr persist.Address
	buf  *[]byte // nil: no bytes to store
	n    int
	code byte // for the caller: what happened before the putter
}

// putter stores verified blocks on its own goroutine, in arrival order, and reports each
// outcome (stored or not, with Put's error) to fn on that goroutine. After a Put fails it
// stores nothing more: every later block gets the same error.
type putter struct {
	in   chan arrived
	done chan struct{}
}

func startPutter(store persist.BlockStore, fn func(it arrived, err error)) *putter {
	p := &putter{in: make(chan arrived), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		var failed error
		for it := range p.in {
			err := failed
			if it.buf != nil {
				if err == nil {
					err = store.Put(it.addr, (*it.buf)[:it.n])
					failed = err
				}
				putBuf(it.buf)
			}
			fn(it, err)
		}
	}()
	return p
}

// close waits for every queued block to be stored and reported.
func (p *putter) close() {
	close(p.in)
	<-p.done
}
