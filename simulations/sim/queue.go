package sim

import (
	"container/heap"
	"time"
)

// Queue holds events ordered by virtual time, then by the order they were pushed: equal
// times pop first-in first-out, so the order never depends on anything but the pushes.
type Queue[T any] struct{ items items[T] }

type item[T any] struct {
	at  time.Time
	seq uint64
	v   T
}

type items[T any] struct {
	list []item[T]
	n    uint64
}

func (q *items[T]) Len() int { return len(q.list) }
func (q *items[T]) Less(i, j int) bool {
	a, b := q.list[i], q.list[j]
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	return a.seq < b.seq
}
func (q *items[T]) Swap(i, j int) { q.list[i], q.list[j] = q.list[j], q.list[i] }
func (q *items[T]) Push(x any)    { q.list = append(q.list, x.(item[T])) }
func (q *items[T]) Pop() any {
	last := q.list[len(q.list)-1]
	q.list = q.list[:len(q.list)-1]
	return last
}

// Push schedules v at at and returns its sequence number.
func (q *Queue[T]) Push(at time.Time, v T) uint64 {
	q.items.n++
	heap.Push(&q.items, item[T]{at: at, seq: q.items.n, v: v})
	return q.items.n
}

// Pop removes the earliest event.
func (q *Queue[T]) Pop() (at time.Time, v T, ok bool) {
	if q.items.Len() == 0 {
		return at, v, false
	}
	it := heap.Pop(&q.items).(item[T])
	return it.at, it.v, true
}

// Next is the time of the earliest event.
func (q *Queue[T]) Next() (time.Time, bool) {
	if q.items.Len() == 0 {
		return time.Time{}, false
	}
	return q.items.list[0].at, true
}

// Len counts the events waiting.
func (q *Queue[T]) Len() int { return q.items.Len() }

// Drop removes every event for which gone reports true (a crashed node's pending work).
func (q *Queue[T]) Drop(gone func(T) bool) {
	kept := q.items.list[:0]
	for _, it := range q.items.list {
		if !gone(it.v) {
			kept = append(kept, it)
		}
	}
	q.items.list = kept
	heap.Init(&q.items)
}
