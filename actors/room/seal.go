package room

import (
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/meshhold/meshhold/messages"
)

// newAEAD is the room's body cipher: XChaCha20-Poly1305 under the chat key.
func newAEAD(key messages.ChatKey) cipher.AEAD {
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		panic(fmt.Errorf("room: chat cipher: %w", err)) // only a wrong key size fails, and it is fixed
	}
	return aead
}

// envelopeNonce is the nonce an envelope is sealed with: SHA-256 over the caller's random
// nonce and the header fields that make a message unique (room, sender, seq, ts), cut to 24
// bytes. A caller that repeats a nonce still never repeats one under the key, unless its own
// chain repeats a seq, which the room refuses.
func envelopeNonce(drawn [24]byte, env messages.ChatEnvelope) [24]byte {
	h := sha256.New()
	h.Write([]byte("meshhold chat nonce v1\x00"))
	h.Write(drawn[:])
	h.Write([]byte(env.RoomID + "\x00" + env.Sender + "\x00"))
	h.Write(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, env.Seq), uint64(env.TsMs)))
	var n [24]byte
	copy(n[:], h.Sum(nil))
	return n
}

// seal encrypts the body under the key, with the envelope's header as additional data.
func seal(aead cipher.AEAD, env messages.ChatEnvelope, plain []byte) []byte {
	return aead.Seal(nil, env.Nonce[:], plain, env.Header())
}

// errTampered: a body that does not open under the room key or is not a valid message.
var errTampered = errors.New("tampered: the body does not open under the room key")

// open decrypts and decodes an envelope's body and checks it.
func open(aead cipher.AEAD, env messages.ChatEnvelope) (messages.ChatBody, error) {
	var body messages.ChatBody
	plain, err := aead.Open(nil, env.Nonce[:], env.Body, env.Header())
	if err != nil {
		return body, errTampered
	}
	if err := json.Unmarshal(plain, &body); err != nil {
		return body, fmt.Errorf("tampered: the body is not a message: %w", err)
	}
	if err := checkBody(body); err != nil {
		return body, fmt.Errorf("tampered: the body is not a valid message: %w", err)
	}
	return body, nil
}

// checkBody validates a message body, naming the field at fault.
func checkBody(b messages.ChatBody) error {
	if err := checkLabel("username", b.Username); err != nil {
		return err
	}
	if len(b.Text) > messages.MaxChatText {
		return messages.Invalid("text", "is %d bytes; at most %d", len(b.Text), messages.MaxChatText)
	}
	if !utf8.ValidString(b.Text) {
		return messages.Invalid("text", "is not valid UTF-8")
	}
	switch b.Type {
	case messages.ChatTypeText:
		switch {
		case strings.TrimSpace(b.Text) == "":
			return messages.Invalid("text", "must not be empty")
		case b.File != nil || b.Location != nil:
			return messages.Invalid("type", "a %s message carries neither a file nor a location", b.Type)
		}
	case messages.ChatTypeLocation:
		switch {
		case b.Location == nil:
			return messages.Invalid("location", "is missing")
		case b.File != nil:
			return messages.Invalid("file", "a %s message carries no file", b.Type)
		}
		return b.Location.Check()
	case messages.ChatTypeFile:
		switch {
		case b.File == nil:
			return messages.Invalid("file", "is missing")
		case b.Location != nil:
			return messages.Invalid("location", "a %s message carries no location", b.Type)
		}
		return checkFile(*b.File)
	default:
		return messages.Invalid("type", "%q is not one of %s, %s, %s", b.Type, messages.ChatTypeText, messages.ChatTypeFile, messages.ChatTypeLocation)
	}
	return nil
}

func checkFile(f messages.ChatFileRef) error {
	if _, err := hex.DecodeString(f.ID); err != nil || len(f.ID) != 64 || strings.ToLower(f.ID) != f.ID {
		return messages.Invalid("file.id", "%q is not 64 lowercase hex characters", f.ID)
	}
	if strings.TrimSpace(f.Name) == "" {
		return messages.Invalid("file.name", "must not be empty")
	}
	if err := checkLabel("file.name", f.Name); err != nil {
		return err
	}
	if err := checkLabel("file.content_type", f.ContentType); err != nil {
		return err
	}
	switch {
	case f.Size < 0:
		return messages.Invalid("file.size", "%d is negative", f.Size)
	case f.Size > 0 && len(f.Blocks) == 0:
		return messages.Invalid("file.blocks", "a file of %d bytes needs blocks", f.Size)
	}
	var sum int64
	for _, b := range f.Blocks {
		sum += int64(b.Size)
	}
	if sum != f.Size {
		return messages.Invalid("file.blocks", "the blocks hold %d bytes, the file %d", sum, f.Size)
	}
	return nil
}

func checkLabel(field, s string) error {
	switch {
	case len(s) > messages.MaxChatLabel:
		return messages.Invalid(field, "is %d bytes; at most %d", len(s), messages.MaxChatLabel)
	case !utf8.ValidString(s):
		return messages.Invalid(field, "is not valid UTF-8")
	}
	return nil
}

// chatMessage is an envelope and its opened body as answers show it; attachments without blocks.
func chatMessage(env messages.ChatEnvelope, body messages.ChatBody, self string) messages.ChatMessage {
	h := env.Hash().String()
	m := messages.ChatMessage{
		ID: h, RoomID: env.RoomID, Sender: env.Sender, Seq: env.Seq, TsMs: env.TsMs, Type: body.Type,
		Text: body.Text, Username: body.Username, Location: body.Location, IsSelf: env.Sender == self, ContentHash: h,
	}
	if body.File != nil {
		f := *body.File
		f.Blocks = nil
		m.File = &f
	}
	return m
}
