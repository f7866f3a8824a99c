package api

import (
	"context"
	"crypto/rand"
	"net/http"
	"strconv"
	"strings"

	"github.com/meshhold/meshhold/messages"
)

// TextRequest is POST /rooms/:id/messages. Text is at most messages.MaxChatText bytes (longer
// is a 400 naming the field; a body past maxTextBody is a 413).
type TextRequest struct {
	Text string `json:"text"`
}

// Check refuses an empty or over-long text.
func (t *TextRequest) Check() error {
	switch {
	case strings.TrimSpace(t.Text) == "":
		return messages.Invalid("text", "is required and not blank")
	case len(t.Text) > messages.MaxChatText:
		return messages.Invalid("text", "is %d bytes; at most %d", len(t.Text), messages.MaxChatText)
	}
	return nil
}

// LocationRequest is POST /rooms/:id/messages/location; lat and lng are required.
type LocationRequest struct {
	Lat   *float64 `json:"lat"`
	Lng   *float64 `json:"lng"`
	Label string   `json:"label,omitempty"`
}

// Check requires both coordinates and checks their range.
func (l *LocationRequest) Check() error {
	switch {
	case l.Lat == nil:
		return messages.Invalid("lat", "is required")
	case l.Lng == nil:
		return messages.Invalid("lng", "is required")
	}
	return messages.ChatLocation{Lat: *l.Lat, Lng: *l.Lng, Label: l.Label}.Check()
}

// ReadRequest is POST /rooms/:id/read: everything up to TsMs is read.
type ReadRequest struct {
	TsMs int64 `json:"ts_ms"`
}

// Check requires a positive time.
func (q *ReadRequest) Check() error {
	if q.TsMs <= 0 {
		return messages.Invalid("ts_ms", "is required: ms since the epoch of the newest message read")
	}
	return nil
}

// ChatPageReply is GET /rooms/:id/messages: newest first; next is the before= of the older page.
type ChatPageReply struct {
	Messages []messages.ChatMessage `json:"messages"`
	Next     string                 `json:"next,omitempty"`
}

// maxTextBody bounds the JSON body of a text message: the longest text, every byte escaped.
const maxTextBody = 6*messages.MaxChatText + 1024

func (rm *Rooms) messageRoutes() []Route {
	id := "/rooms/{room_id}"
	get, post := http.MethodGet, http.MethodPost
	return []Route{
		{Method: get, Pattern: id + "/messages", Access: Bearer, Handler: rm.listMessages,
			Doc: Doc{Summary: "A page of the room's messages, newest first, in the order (ts_ms, sender, seq) every member shares",
				Response: ChatPageReply{}, Query: []Param{
					{Name: "before", Description: "next of the previous page (absent: from the newest)"},
					{Name: "limit", Description: "1–500 (default 50)", Type: "integer"}}}},
		{Method: post, Pattern: id + "/messages", Access: Bearer, Handler: rm.sendText,
			Doc: Doc{Summary: "Send a text message (1–16384 bytes; blank is a 400)", Request: TextRequest{}, Response: messages.ChatMessage{}, Status: http.StatusCreated}},
		{Method: post, Pattern: id + "/messages/location", Access: Bearer, Handler: rm.sendLocation,
			Doc: Doc{Summary: "Share a position: lat -90–90, lng -180–180, optional label", Request: LocationRequest{}, Response: messages.ChatMessage{}, Status: http.StatusCreated}},
		{Method: post, Pattern: id + "/messages/file", Access: Bearer, Body: Multipart, Handler: rm.sendFile,
			Doc: Doc{Summary: "Send an attachment: multipart field \"file\" (at most 25 MiB, 413 beyond), optional field \"text\" before it as a caption; stored as blocks sealed under the chat key",
				Response: messages.ChatMessage{}, Status: http.StatusCreated}},
		{Method: get, Pattern: id + "/files/{file_id}/blob", Access: Bearer, Handler: rm.blob,
			Doc: Doc{Summary: "An attachment's bytes (Range supported)", Produces: "application/octet-stream"}},
		{Method: post, Pattern: id + "/read", Access: Bearer, Handler: rm.markRead,
			Doc: Doc{Summary: "Move this node's read marker to ts_ms (never back); other members get a read receipt", Request: ReadRequest{}, Response: messages.RoomStatus{}}},
		{Method: get, Pattern: id + "/stream", Access: BearerOrQueryToken, Handler: rm.stream,
			Doc: Doc{Summary: "WebSocket: each new message of the room as a ChatMessage with \"type\":\"chat_message\", read receipts as chat_read events; pings every 20 s; a client that falls behind is dropped",
				Produces: "application/websocket"}},
	}
}

func (rm *Rooms) listMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > messages.MaxChatPage {
			WriteError(w, r, messages.Invalid("limit", "want a whole number from 1 to %d", messages.MaxChatPage))
			return
		}
		limit = n
	}
	id := roomID(r)
	if _, err := rm.joined(r.Context(), id); err != nil {
		WriteError(w, r, err)
		return
	}
	page, err := ask[messages.ChatPage](r.Context(), rm.Actors, rm.Room, id, messages.ListMessages{Before: q.Get("before"), Limit: limit})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if page.Messages == nil {
		page.Messages = []messages.ChatMessage{}
	}
	WriteJSON(w, http.StatusOK, ChatPageReply(page))
}

func (rm *Rooms) sendText(w http.ResponseWriter, r *http.Request) {
	var req TextRequest
	if err := DecodeJSON(w, r, &req, maxTextBody); err != nil {
		WriteError(w, r, err)
		return
	}
	rm.answerSend(w, r, messages.ChatBody{Type: messages.ChatTypeText, Text: req.Text})
}

func (rm *Rooms) sendLocation(w http.ResponseWriter, r *http.Request) {
	var req LocationRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	loc := messages.ChatLocation{Lat: *req.Lat, Lng: *req.Lng, Label: req.Label}
	rm.answerSend(w, r, messages.ChatBody{Type: messages.ChatTypeLocation, Location: &loc})
}

// answerSend sends body to the route's room and answers 201 with the stored message.
func (rm *Rooms) answerSend(w http.ResponseWriter, r *http.Request, body messages.ChatBody) {
	id := roomID(r)
	if _, err := rm.joined(r.Context(), id); err != nil {
		WriteError(w, r, err)
		return
	}
	sent, err := rm.Send(r.Context(), id, body)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusCreated, sent.Message)
}

// Send writes one message from this node to a room with a fresh nonce and hands the result to
// Sent (gossip); inbound webhooks use it too. It does not check the registry: the room actor
// refuses a room it does not hold.
func (rm *Rooms) Send(ctx context.Context, roomID string, body messages.ChatBody) (messages.ChatSent, error) {
	cmd := messages.SendMessage{Body: body}
	_, _ = rand.Read(cmd.Nonce[:])
	sent, err := ask[messages.ChatSent](ctx, rm.Actors, rm.Room, roomID, cmd)
	if err != nil {
		return sent, err
	}
	if rm.Sent != nil {
		rm.Sent(sent)
	}
	return sent, nil
}

func (rm *Rooms) markRead(w http.ResponseWriter, r *http.Request) {
	var req ReadRequest
	if err := DecodeJSON(w, r, &req, 0); err != nil {
		WriteError(w, r, err)
		return
	}
	id := roomID(r)
	if _, err := rm.joined(r.Context(), id); err != nil {
		WriteError(w, r, err)
		return
	}
	st, err := ask[messages.RoomStatus](r.Context(), rm.Actors, rm.Room, id, messages.MarkRead{TsMs: req.TsMs})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if st.Receipt != nil && rm.Read != nil {
		rm.Read(*st.Receipt)
	}
	WriteJSON(w, http.StatusOK, st)
}

// stream hands an existing joined room's request to the WebSocket pump.
func (rm *Rooms) stream(w http.ResponseWriter, r *http.Request) {
	id := roomID(r)
	if _, err := rm.joined(r.Context(), id); err != nil {
		WriteError(w, r, err)
		return
	}
	if rm.Stream == nil {
		WriteError(w, r, because(messages.ErrUnavailable, "this daemon serves no room streams"))
		return
	}
	rm.Stream(w, r, id)
}

// findPages bounds how many pages FindMessage reads looking for one message.
const findPages = 8

// FindMessage returns a room's message by content hash, for the WebSocket: it reads pages from
// the newest back to the first message older than tsMs (the message's own time), at most
// findPages pages of MaxChatPage. ErrNotFound when it is not there.
func (rm *Rooms) FindMessage(ctx context.Context, roomID, hash string, tsMs int64) (messages.ChatMessage, error) {
	before, limit := "", 20
	for range findPages {
		page, err := ask[messages.ChatPage](ctx, rm.Actors, rm.Room, roomID, messages.ListMessages{Before: before, Limit: limit})
		if err != nil {
			return messages.ChatMessage{}, err
		}
		for _, m := range page.Messages {
			if m.ContentHash == hash || m.ID == hash {
				return m, nil
			}
		}
		if n := len(page.Messages); page.Next == "" || n == 0 || page.Messages[n-1].TsMs < tsMs {
			break
		}
		before, limit = page.Next, messages.MaxChatPage
	}
	return messages.ChatMessage{}, messages.NotFound("message")
}
