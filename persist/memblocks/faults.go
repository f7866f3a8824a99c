package memblocks

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"syscall"
	"time"

	"github.com/meshhold/meshhold/persist"
)

// ErrInjected is the error of an injected Put or Sync failure.
var ErrInjected = errors.New("memblocks: injected failure")

// ErrNoSpace is the error of a Put on a full disk: errors.Is(err, syscall.ENOSPC) holds.
var ErrNoSpace = fmt.Errorf("memblocks: %w", syscall.ENOSPC)

// Faults injects failures into a Store's reads, writes, syncs and crashes; a crash copy shares them.
type Faults struct {
	mu       sync.Mutex
	rng      *rand.Rand
	sleep    func(time.Duration)
	flip     map[persist.Address]bool
	empty    map[persist.Address]bool
	flipP    float64
	limited  bool
	budget   int64
	puts     int
	syncs    int
	failPut  map[int]error
	failSync map[int]error
	slow     time.Duration
	survival Survival
	fired    Fired
}

// Fired counts the faults that took effect, for a simulation's "sometimes" registry.
type Fired struct {
	FlippedReads  int // reads that saw a flipped bit
	EmptyReads    int // reads that saw an empty file
	NoSpace       int // Puts refused with ENOSPC
	FailedPuts    int // Puts failed by FailNthPut
	FailedSyncs   int // Syncs failed by FailNthSync
	SlowSyncs     int // Syncs delayed by SlowSync
	Survived      int // unsynced changes a crash kept whole
	SurvivedEmpty int // unsynced new blocks a crash left as empty files
	SurvivedTorn  int // unsynced new blocks a crash left as a prefix
}

// Survival is what a crash does to each unsynced change, drawn per block; the rest loses it.
//
// The draws go in address order. Only a change that wrote new data can come back Empty or
// Torn; an unsynced Delete or Touch is kept (Intact) or lost.
type Survival struct {
	Intact float64 // the change reached the disk anyway: a page cache that happened to flush
	Empty  float64 // the rename reached the disk but not the data: an empty block file
	Torn   float64 // part of the data reached the disk: a non-empty prefix of the block
}

// SetRand sets the source of the probabilistic faults (default: a fixed seed); keep it off other goroutines.
func (f *Faults) SetRand(r *rand.Rand) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rng = r
}

// SetSleep sets how SlowSync waits (default time.Sleep; a core simulation passes its clock's).
func (f *Faults) SetSleep(sleep func(time.Duration)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleep = sleep
}

// FlipBitOnRead makes every read of a see a flipped bit until HealReads; Has still reports the file.
func (f *Faults) FlipBitOnRead(a persist.Address) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.flip == nil {
		f.flip = map[persist.Address]bool{}
	}
	f.flip[a] = true
}

// EmptyOnRead makes a's file read as empty until HealReads: Has is false, Walk still lists it.
func (f *Faults) EmptyOnRead(a persist.Address) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.empty == nil {
		f.empty = map[persist.Address]bool{}
	}
	f.empty[a] = true
}

// FlipBitsRandomly makes each read see a flipped bit with probability p (0 turns it off).
func (f *Faults) FlipBitsRandomly(p float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flipP = p
}

// HealReads ends FlipBitOnRead, EmptyOnRead and FlipBitsRandomly.
func (f *Faults) HealReads() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flip, f.empty, f.flipP = nil, nil, 0
}

// NoSpaceAfter lets Puts write n more bytes; one going past returns ErrNoSpace (Deletes free nothing).
func (f *Faults) NoSpaceAfter(n int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limited, f.budget = true, n
}

// FreeSpace ends NoSpaceAfter.
func (f *Faults) FreeSpace() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limited = false
}

// FailNthPut makes the nth writing Put from now (1: the next; no-op Puts do not count) fail.
func (f *Faults) FailNthPut(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failPut = schedule(f.failPut, f.puts, n)
}

// FailNthSync makes the nth Sync from now that has changes to sync fail, making nothing durable.
func (f *Faults) FailNthSync(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failSync = schedule(f.failSync, f.syncs, n)
}

// SlowSync makes every Sync with changes to sync wait d, as a slow syncfs (0 turns it off).
func (f *Faults) SlowSync(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slow = d
}

// SurviveCrash sets what crashes do to unsynced changes (the zero Survival: all lost).
func (f *Faults) SurviveCrash(s Survival) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.survival = s
}

// Reset disarms every fault; the rand, the sleep and the Fired counts stay.
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flip, f.empty, f.flipP, f.limited = nil, nil, 0, false
	f.failPut, f.failSync, f.slow, f.survival = nil, nil, 0, Survival{}
}

// Fired returns how many faults took effect so far.
func (f *Faults) Fired() Fired {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

func schedule(m map[int]error, count, n int) map[int]error {
	if n < 1 {
		panic("memblocks: FailNth wants n >= 1")
	}
	if m == nil {
		m = map[int]error{}
	}
	m[count+n] = ErrInjected
	return m
}

// put decides whether a writing Put of size bytes fails.
func (f *Faults) put(size int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts++
	if err, ok := f.failPut[f.puts]; ok {
		delete(f.failPut, f.puts)
		f.fired.FailedPuts++
		return err
	}
	if f.limited {
		if int64(size) > f.budget {
			f.fired.NoSpace++
			return ErrNoSpace
		}
		f.budget -= int64(size)
	}
	return nil
}

// sync decides a Sync's delay and its injected error (nil: none).
func (f *Faults) sync() (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncs++
	var err error
	if e, ok := f.failSync[f.syncs]; ok {
		delete(f.failSync, f.syncs)
		f.fired.FailedSyncs++
		err = e
	}
	if f.slow > 0 {
		f.fired.SlowSyncs++
	}
	return f.slow, err
}

// read applies the read faults to buf, a copy of a's file, and returns what the read saw.
func (f *Faults) read(a persist.Address, buf []byte) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.empty[a] {
		f.fired.EmptyReads++
		return buf[:0]
	}
	if len(buf) > 0 && (f.flip[a] || f.flipP > 0 && f.rand().Float64() < f.flipP) {
		bit := f.rand().IntN(len(buf) * 8)
		buf[bit/8] ^= 1 << (bit % 8)
		f.fired.FlippedReads++
	}
	return buf
}

func (f *Faults) emptyOnRead(a persist.Address) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.empty[a]
}

// survive decides what a crash leaves of one unsynced change from old (the file as of the
// last Sync, nil: none) to cur (nil: deleted).
func (f *Faults) survive(old, cur *block) *block {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.survival
	if s == (Survival{}) {
		return old
	}
	r := f.rand().Float64()
	newData := cur != nil && (old == nil || !sameData(old.data, cur.data))
	switch {
	case r < s.Intact:
		f.fired.Survived++
		return cur
	case !newData:
		return old
	case r < s.Intact+s.Empty:
		f.fired.SurvivedEmpty++
		return &block{data: []byte{}, mod: cur.mod}
	case r < s.Intact+s.Empty+s.Torn && len(cur.data) > 1:
		f.fired.SurvivedTorn++
		return &block{data: cur.data[:1+f.rand().IntN(len(cur.data)-1)], mod: cur.mod}
	}
	return old
}

// sameData reports whether a and b are the same stored bytes (a Touch keeps them).
func sameData(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func (f *Faults) wait(d time.Duration) {
	f.mu.Lock()
	sleep := f.sleep
	f.mu.Unlock()
	if sleep == nil {
		sleep = time.Sleep
	}
	sleep(d)
}

func (f *Faults) rand() *rand.Rand {
	if f.rng == nil {
		f.rng = rand.New(rand.NewPCG(0, 0))
	}
	return f.rng
}
