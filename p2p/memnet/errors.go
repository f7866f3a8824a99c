package memnet

import "errors"

var (
	// ErrClosed is returned by a transport, topic or stream end used after it was closed or its
	// node crashed.
	ErrClosed = errors.New("memnet: closed")
	// ErrReset is returned by a stream that was reset: by either end, by a refused or dropped open,
	// a crash, a disconnect, or a partition outlasting the timeout.
	ErrReset = errors.New("memnet: stream reset")
	// ErrNotConnected is returned by OpenStream when there is no live link to the peer.
	ErrNotConnected = errors.New("memnet: not connected")
	// ErrPartitioned is returned by Connect across a symmetric partition.
	ErrPartitioned = errors.New("memnet: partitioned")
	// ErrUnknownNode names a peer id the network has never seen.
	ErrUnknownNode = errors.New("memnet: unknown node")
	// ErrNodeDown names a node that crashed or closed and was not restarted.
	ErrNodeDown = errors.New("memnet: node down")
	// ErrTopicJoined is returned by Join for a topic the node has already joined.
	ErrTopicJoined = errors.New("memnet: topic already joined")
)
