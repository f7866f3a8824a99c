// Package stream serves GET /api/v1/events/stream: committed events as Server-Sent Events.
//
// One Broadcaster per daemon holds the only bus subscription (bus.AllEvents). It parses each
// bus message once (just its type and log_seq), renders the SSE frame once, and hands the same
// immutable bytes to every registered client whose type filter matches, without blocking: a
// client whose bounded queue is full is disconnected (its handler ends the response and the
// connection is closed), so a slow reader never stalls the bus or the other clients.
//
// The handler checks ?types= (comma-separated snake_case names; empty means all) and the last
// event id (400 naming the parameter), registers with the broadcaster before it answers, so
// nothing published after that can be missed, then sends the headers and ": connected" at
// once. Resume takes the Last-Event-ID header, or ?last_event_id= for clients that cannot set
// headers (the header wins: on reconnect EventSource sends the newest id there while the URL
// keeps the first one). It replays the committed event log in chunks, then continues live
// without gaps or duplicates:
//
//   - every event the bus delivers was durable before it was published, so live events that
//     queue up while the log is replayed are also in the log; between chunks the handler drops
//     them from its queue and keeps reading the log until a chunk comes back short, then skips
//     any queued event at or below the last replayed log_seq;
//   - when events after the client's id were pruned, an "event: stream_gap" (no id line) says
//     so before the retained events are replayed; the same happens if pruning overtakes a
//     long replay;
//   - an id above the newest log_seq ever assigned comes from another history of the log (the
//     node's store was reset): the client is treated as caught up, with no replay and no gap
//     message, and gets every event committed since it connected.
//
// Events already queued are written together and flushed once, so a client that fell behind
// catches up with few system calls; an idle stream gets ": keepalive" every Config.Keepalive.
// Broadcaster.Close ends every stream (a write stuck on a peer that stopped reading is cut by
// moving the connection's write deadline), and later requests get 503. The daemon mounts it:
//
//	bc, err := stream.NewBroadcaster(bus, log)
//	routes = append(routes, stream.Route(stream.Config{}, bc, host.EventLog{Store: store}))
//	srv.RegisterOnShutdown(bc.Close) // before srv.Shutdown drains
package stream
