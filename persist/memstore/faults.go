package memstore

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"syscall"
	"time"
)

// ErrInjected is the error of an injected commit failure.
var ErrInjected = errors.New("memstore: injected commit failure")

// ErrNoSpace is the error of a commit on a full disk: errors.Is(err, syscall.ENOSPC) holds.
var ErrNoSpace = fmt.Errorf("memstore: commit: %w", syscall.ENOSPC)

// Faults injects failures into a Store's commits and crashes; a crash copy shares them (same disk).
type Faults struct {
	mu     sync.Mutex
	rng    *rand.Rand
	sleep  func(time.Duration)
	calls  int           // Commit calls that reached the fault check
	failAt map[int]error // call number → its error
	full   bool
	failP  float64
	slow   time.Duration
	tear   bool
	tearP  float64
	fired  Fired
}

// Fired counts the faults that took effect, for a simulation's "sometimes" registry.
type Fired struct {
	Failed  int // commits that returned an injected error, ENOSPC included
	NoSpace int // of those, ENOSPC
	Slow    int // commits delayed by SlowCommit
	Torn    int // crashes that dropped the last successful commit
}

// Faults returns the store's fault controller (none armed until told).
func (s *Store) Faults() *Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults == nil {
		s.faults = &Faults{}
	}
	return s.faults
}

// SetRand sets the source of the probabilistic faults (default: a fixed seed); keep it off other goroutines.
func (f *Faults) SetRand(r *rand.Rand) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rng = r
}

// SetSleep sets how SlowCommit waits (default time.Sleep; a core simulation passes its clock's).
func (f *Faults) SetSleep(sleep func(time.Duration)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleep = sleep
}

// FailNthCommit makes the nth Commit from now (1: the next) return ErrInjected and apply nothing.
func (f *Faults) FailNthCommit(n int) { f.FailNthCommitWith(n, ErrInjected) }

// FailNthCommitWith makes the nth Commit from now (1: the next) return err and apply nothing.
func (f *Faults) FailNthCommitWith(n int, err error) {
	if n < 1 {
		panic("memstore: FailNthCommit wants n >= 1")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failAt == nil {
		f.failAt = map[int]error{}
	}
	f.failAt[f.calls+n] = err
}

// FailWithENOSPC fills the disk: every Commit returns ErrNoSpace and applies nothing until FreeSpace.
func (f *Faults) FailWithENOSPC() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.full = true
}

// FreeSpace ends FailWithENOSPC.
func (f *Faults) FreeSpace() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.full = false
}

// FailRandomly makes each Commit return ErrInjected with probability p (0 turns it off).
func (f *Faults) FailRandomly(p float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failP = p
}

// SlowCommit makes each Commit wait d (slow fsync) before applying: readers go on, commits queue.
func (f *Faults) SlowCommit(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slow = d
}

// TornLastCommit makes the next crash drop the last successful commit, whole (see CrashCopy).
func (f *Faults) TornLastCommit() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tear = true
}

// TornCrashes makes each crash drop the last successful commit with probability p (see CrashCopy).
func (f *Faults) TornCrashes(p float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tearP = p
}

// Reset disarms every fault; the rand, the sleep and the Fired counts stay.
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failAt, f.full, f.failP, f.slow, f.tear, f.tearP = nil, false, 0, 0, false, 0
}

// Fired returns how many faults took effect so far.
func (f *Faults) Fired() Fired {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

// commit counts a Commit call and decides its delay and its injected error (nil: none).
func (f *Faults) commit() (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	var err error
	if e, ok := f.failAt[f.calls]; ok {
		delete(f.failAt, f.calls)
		err = e
	}
	if err == nil && f.full {
		err = ErrNoSpace
	}
	if err == nil && f.failP > 0 && f.rand().Float64() < f.failP {
		err = ErrInjected
	}
	if err != nil {
		f.fired.Failed++
		if errors.Is(err, syscall.ENOSPC) {
			f.fired.NoSpace++
		}
	}
	if f.slow > 0 {
		f.fired.Slow++
	}
	return f.slow, err
}

// tornCrash decides whether this crash drops the last successful commit; possible is false
// when there is none the store could drop (the one-shot is spent all the same).
func (f *Faults) tornCrash(possible bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	torn := f.tear
	f.tear = false
	if !possible {
		return false
	}
	if !torn && f.tearP > 0 {
		torn = f.rand().Float64() < f.tearP
	}
	if torn {
		f.fired.Torn++
	}
	return torn
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
