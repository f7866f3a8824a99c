// Package stream serves GET /api/v1/events/stream: committed events as Server-Sent Events.
//
// One Broadcaster per daemon holds the only bus subscription (bus.AllEvents). It parses each
// bus message once (just its type and log_seq), renders the SSE frame once, and hands the same
// immutable bytes to every registered client whose type filter matches, without blocking: a
// client whose bounded queue is full is disconnected, so a slow reader never stalls the bus or
// the other clients.
//
// The handler registers with the broadcaster before it answers, so nothing committed after the
// request arrives can be missed; then it sends the headers and ": connected" at once. Resume
// (Last-Event-ID, or ?last_event_id= for clients that cannot set headers) replays the committed
// event log in chunks, then continues live without gaps or duplicates:
//
//   - every event the bus delivers was durable before it was published, so live events that
//     queue up while the log is replayed are also in the log; between chunks the handler drops
//     them from its queue and keeps reading the log until a chunk comes back short, then skips
//     any queued event at or below the last replayed log_seq;
//   - when events after the client's id were pruned, an "event: stream_gap" (no id line) says
//     so before the retained events are replayed; the same happens if pruning overtakes a
//     long replay;
//   - an id above the newest log_seq ever assigned comes from another history of the log (the
//     node's store was reset): the client is treated as caught up and streams live events
//     above the current newest, with no replay and no gap message.
//
// Events that are immediately available are written together and flushed once, so a client
// that fell briefly behind catches up with few system calls; an idle stream gets ": keepalive"
// every Config.Keepalive.
package stream
