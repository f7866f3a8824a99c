package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/meshhold/meshhold/http/files"
	"github.com/meshhold/meshhold/messages"
)

// DefaultMaxChatFile is the largest attachment when Rooms.MaxFile is 0: 25 MiB.
const DefaultMaxChatFile = 25 << 20

// chatFileKeyLabel derives a room's attachment key from its chat key, so the chat key itself
// never keys two ciphers: fileKey = HMAC-SHA256(chat key, label). Blocks are then sealed
// convergently as vault blocks are (key and nonce from HMAC-SHA256(fileKey, plaintext),
// AES-256-GCM), addressed by the SHA-256 of the ciphertext; every block's secret travels in
// the message body, which is sealed under the chat key.
const chatFileKeyLabel = "meshhold chat attachments v1"

// ChatFileKey is the key a room's attachment blocks are sealed with (see chatFileKeyLabel).
func ChatFileKey(chat messages.ChatKey) messages.VaultKey {
	m := hmac.New(sha256.New, chat[:])
	m.Write([]byte(chatFileKeyLabel))
	return messages.VaultKey(m.Sum(nil))
}

func (rm *Rooms) maxFile() int64 {
	if rm.MaxFile > 0 {
		return rm.MaxFile
	}
	return DefaultMaxChatFile
}

// sendFile streams the multipart field "file" through chunker → cipher → block store (never
// through a mailbox), then sends a FILE message naming its blocks. An optional "text" field
// before it is the caption.
func (rm *Rooms) sendFile(w http.ResponseWriter, r *http.Request) {
	id := roomID(r)
	meta, err := rm.joined(r.Context(), id)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if rm.Files == nil || rm.Files.Blocks == nil {
		WriteError(w, r, because(messages.ErrUnavailable, "this daemon stores no attachments"))
		return
	}
	limit := rm.maxFile()
	if r.ContentLength > limit+messages.MaxChatText+64<<10 {
		WriteError(w, r, &http.MaxBytesError{Limit: limit})
		return
	}
	key, err := rm.key(meta)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+messages.MaxChatText+64<<10) // the file, a caption, the framing
	mr, err := r.MultipartReader()
	if err != nil {
		WriteError(w, r, messages.Invalid("", "want a multipart/form-data body: %v", err))
		return
	}
	body := messages.ChatBody{Type: messages.ChatTypeFile}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			WriteError(w, r, messages.Invalid("file", "is required: a multipart field named \"file\""))
			return
		}
		if err != nil {
			WriteError(w, r, messages.Invalid("", "malformed multipart body: %v", err))
			return
		}
		switch part.FormName() {
		case "text":
			b, err := io.ReadAll(io.LimitReader(part, messages.MaxChatText+1))
			if err != nil || len(b) > messages.MaxChatText {
				WriteError(w, r, messages.Invalid("text", "at most %d bytes", messages.MaxChatText))
				return
			}
			body.Text = string(b)
		case "file":
			rm.ingest(w, r, id, key, part, body)
			return
		}
	}
}

// ingest stores one attachment part and sends its message.
func (rm *Rooms) ingest(w http.ResponseWriter, r *http.Request, id string, key messages.ChatKey, part *multipart.Part, body messages.ChatBody) {
	name := path.Base(strings.ReplaceAll(part.FileName(), `\`, "/"))
	if name == "." || name == "/" || name == "" {
		name = "attachment"
	}
	name = clipName(strings.Map(func(c rune) rune {
		if c < 0x20 || c == 0x7f {
			return '_'
		}
		return c
	}, name), messages.MaxChatLabel)
	limit := rm.maxFile()
	sum := sha256.New()
	up, err := files.Ingest(r.Context(), io.TeeReader(part, sum), files.IngestConfig{Key: ChatFileKey(key),
		Store: rm.Files.Blocks, Pins: rm.Files.Pins, Limit: limit, Reclaim: rm.Files.Reclaim})
	var tooLarge *files.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		WriteError(w, r, &http.MaxBytesError{Limit: limit})
		return
	case err != nil:
		WriteError(w, r, fmt.Errorf("store the attachment: %w", err))
		return
	}
	if up.Manifest.Size == 0 {
		up.Abort()
		WriteError(w, r, messages.Invalid("file", "is empty"))
		return
	}
	if err := files.CheckBlocks(rm.Files.Blocks, up.Manifest); err != nil {
		up.Abort()
		WriteError(w, r, err)
		return
	}
	ctype := partContentType(part)
	if ctype == "" || strings.HasPrefix(ctype, "application/octet-stream") {
		ctype = files.ContentType(name, up.Head)
	}
	body.File = &messages.ChatFileRef{ID: hex.EncodeToString(sum.Sum(nil)), Name: name, ContentType: ctype,
		Size: up.Manifest.Size, Blocks: up.Manifest.Blocks}
	sent, err := rm.Send(r.Context(), id, body)
	switch {
	case err == nil:
		rm.keep(up)
	case errors.Is(err, messages.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		// The outcome is unknown (the client left, or the ask timed out): the message may still
		// be stored, so its blocks stay pinned like a sent one's until the next start, which
		// pins exactly the attachments the rooms hold.
		rm.keep(up)
	default:
		up.Abort()
	}
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusCreated, sent.Message)
}

// keep pins a sent attachment's blocks for as long as the daemon runs — no vault references
// them, so without a pin the collector's sweep would take them (the daemon pins every room's
// attachments again at start) — then releases the upload's own pins.
func (rm *Rooms) keep(up *files.Upload) {
	if rm.Files.Pins != nil {
		for _, b := range up.Manifest.Blocks {
			rm.Files.Pins.Pin(b.Addr)
		}
	}
	up.Done()
}

// partContentType is a multipart part's declared media type ("" when absent or malformed).
func partContentType(part *multipart.Part) string {
	mt, params, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mime.FormatMediaType(mt, params)
}

// blob answers an attachment's plaintext, decrypted block by block, with Range.
func (rm *Rooms) blob(w http.ResponseWriter, r *http.Request) {
	id := roomID(r)
	if _, err := rm.joined(r.Context(), id); err != nil {
		WriteError(w, r, err)
		return
	}
	if rm.Files == nil || rm.Files.Blocks == nil {
		WriteError(w, r, because(messages.ErrUnavailable, "this daemon stores no attachments"))
		return
	}
	ref, err := ask[messages.ChatFileRef](r.Context(), rm.Actors, rm.Room, id, messages.GetChatFile{ID: chi.URLParam(r, "file_id")})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	src := rm.Files.Blocks
	if rm.Files.ReadBlocks != nil {
		src = rm.Files.ReadBlocks
	}
	reader, err := files.NewReader(r.Context(), src, messages.Manifest{Blocks: ref.Blocks, Size: ref.Size})
	if err != nil {
		WriteError(w, r, fmt.Errorf("attachment %s: %w", ref.ID, err))
		return
	}
	defer reader.Close()
	f := files.File{Name: ref.Name, ContentType: ref.ContentType, ETag: `"` + ref.ID + `"`, Download: true}
	if err := files.Serve(w, r, f, reader); err != nil && !errors.Is(err, files.ErrAborted) {
		WriteError(w, r, fmt.Errorf("serve attachment %s: %w", ref.ID, err))
	}
}
