package blocks

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/meshhold/meshhold/p2p/wire"
	"github.com/meshhold/meshhold/persist"
)

// Every message is a p2p/wire frame: a uvarint length, then that many bytes.
//
//	request        version(1) ‖ op ‖ addr × n                   op: 'H' have, 'G' get, 'P' put
//	answer         status ‖ …                                   status: 0 ok, 1 busy, 2 batch too large, 3 bad request
//	  have         ok ‖ bitmap (bit i, LSB first in byte i/8: holds addrs[i])
//	  get          ok, then one block frame per requested address, in order
//	  put          ok ‖ budget (uint64, big-endian) ‖ offer code × n   (0 send it, 1 held, 2 refused)
//	block frame    addr ‖ bytes; addr alone: missing (get only)
//	put result     addr ‖ result code                          (0 stored, 1 corrupt, 2 refused, 3 over budget, 4 store failed)

// version is the request version this package speaks.
const version = 1

// Request operations.
const (
	opHave byte = 'H'
	opGet  byte = 'G'
	opPut  byte = 'P'
)

// Answer statuses: the first byte of the answer frame.
const (
	statusOK       byte = 0
	statusBusy     byte = 1
	statusTooLarge byte = 2
	statusBad      byte = 3
)

// Offer codes: the server's answer to each address of a put request.
const (
	offerSend    byte = 0 // send it
	offerHeld    byte = 1 // the server holds it already
	offerRefused byte = 2 // the server will not take it (Accept said no)
)

// Result codes: what the server did with each block a put sent.
const (
	resultStored  byte = 0
	resultCorrupt byte = 1
	resultRefused byte = 2
	resultBudget  byte = 3
	resultFailed  byte = 4
)

const (
	addrLen = len(persist.Address{})
	// maxRequest bounds a request frame: version, op and MaxBatch addresses.
	maxRequest = 2 + MaxBatch*addrLen
	// maxAnswer bounds an answer frame: status, budget and one offer code per address.
	maxAnswer = 1 + 8 + MaxBatch
	// headroom is the space before a block in a pooled buffer: the largest frame prefix and the
	// address, so a block frame goes out in one Write without copying the block.
	headroom = binary.MaxVarintLen64 + addrLen
	// hashChunk is how much of an arriving block is read before it is hashed, so the bytes are
	// hashed while still in the CPU cache.
	hashChunk = 256 << 10
)

// Errors a client call returns (wrapped, with the peer).
var (
	// ErrBusy: the peer serves as many block streams as it allows (per peer or in all); try later.
	ErrBusy = errors.New("blocks: the peer is busy")
	// ErrBatchTooLarge: the peer refused a request of more addresses than it allows.
	ErrBatchTooLarge = errors.New("blocks: batch too large")
	// ErrProtocol: the peer broke the protocol (a malformed or unexpected frame).
	ErrProtocol = errors.New("blocks: protocol error")
	// ErrLocalStore: this node's block store failed (not the peer).
	ErrLocalStore = errors.New("blocks: local block store")
)

// bufPool holds block buffers: headroom plus MaxBlockSize bytes each.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, headroom+MaxBlockSize)
	return &b
}}

func getBuf() *[]byte  { return bufPool.Get().(*[]byte) }
func putBuf(b *[]byte) { bufPool.Put(b) }

// request is one decoded request.
type request struct {
	op    byte
	addrs []persist.Address
}

func writeRequest(w io.Writer, op byte, addrs []persist.Address) error {
	b := make([]byte, 0, 2+len(addrs)*addrLen)
	b = append(b, version, op)
	for _, a := range addrs {
		b = append(b, a[:]...)
	}
	return wire.WriteFrame(w, b)
}

// readRequest reads a request; a frame over maxRequest is wire.ErrFrameTooLarge.
func readRequest(r *bufio.Reader) (request, error) {
	b, err := wire.ReadFrame(r, maxRequest)
	if err != nil {
		return request{}, err
	}
	if len(b) < 2 || b[0] != version || (len(b)-2)%addrLen != 0 {
		return request{}, fmt.Errorf("%w: malformed request", ErrProtocol)
	}
	req := request{op: b[1], addrs: make([]persist.Address, (len(b)-2)/addrLen)}
	switch req.op {
	case opHave, opGet, opPut:
	default:
		return request{}, fmt.Errorf("%w: unknown operation %q", ErrProtocol, req.op)
	}
	for i := range req.addrs {
		copy(req.addrs[i][:], b[2+i*addrLen:])
	}
	return req, nil
}

// readAnswer reads the answer frame and turns a refusal into its error.
func readAnswer(r *bufio.Reader) ([]byte, error) {
	b, err := wire.ReadFrame(r, maxAnswer)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty answer", ErrProtocol)
	}
	switch b[0] {
	case statusOK:
		return b[1:], nil
	case statusBusy:
		return nil, ErrBusy
	case statusTooLarge:
		return nil, ErrBatchTooLarge
	case statusBad:
		return nil, fmt.Errorf("%w: the peer could not read the request", ErrProtocol)
	}
	return nil, fmt.Errorf("%w: unknown status %d", ErrProtocol, b[0])
}

// blockFrame lays out a block frame in buf, whose block bytes are already at buf[headroom:]
// (n of them; 0 for a missing block), and returns the frame: prefix ‖ addr ‖ bytes.
func blockFrame(buf []byte, a persist.Address, n int) []byte {
	copy(buf[headroom-addrLen:headroom], a[:])
	var p [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(p[:], uint64(addrLen+n))
	start := headroom - addrLen - k
	copy(buf[start:], p[:k])
	return buf[start : headroom+n]
}

// readBlockHeader reads a block frame's prefix and address and returns the block's size.
func readBlockHeader(r *bufio.Reader) (persist.Address, int, error) {
	var a persist.Address
	l, err := binary.ReadUvarint(r)
	if err != nil {
		return a, 0, err // io.EOF: a clean end between frames; io.ErrUnexpectedEOF inside the prefix
	}
	if l < uint64(addrLen) || l > uint64(addrLen+MaxBlockSize) {
		return a, 0, fmt.Errorf("%w: a block frame of %d bytes (limit %d)", ErrProtocol, l, addrLen+MaxBlockSize)
	}
	if _, err := io.ReadFull(r, a[:]); err != nil {
		return a, 0, unexpected(err)
	}
	return a, int(l) - addrLen, nil
}

// unexpected turns an io.EOF in the middle of a frame into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// writeResult writes one put result.
func writeResult(w io.Writer, a persist.Address, code byte) error {
	var b [1 + addrLen + 1]byte
	b[0] = byte(addrLen + 1)
	copy(b[1:], a[:])
	b[1+addrLen] = code
	_, err := w.Write(b[:])
	return err
}

// readResult reads one put result; io.EOF at a clean end.
func readResult(r *bufio.Reader) (persist.Address, byte, error) {
	var a persist.Address
	b, err := wire.ReadFrame(r, addrLen+1)
	if err != nil {
		return a, 0, err
	}
	if len(b) != addrLen+1 || b[addrLen] > resultFailed {
		return a, 0, fmt.Errorf("%w: malformed put result", ErrProtocol)
	}
	copy(a[:], b)
	return a, b[addrLen], nil
}
