package messages

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ContactsKind and ContactsID name the node's contact list actor: entity contacts/self.
const (
	ContactsKind = "contacts"
	ContactsID   = "self"
)

// Limits of the contact list.
const (
	MaxContacts    = 10_000
	MaxContactName = 64   // characters
	MaxContactNote = 1024 // characters
	MaxNodeID      = 128  // bytes of a peer id's text form
)

// Contact is one entry of the node's contact list: another node, by its peer id.
type Contact struct {
	NodeID    string `json:"node_id"`
	Name      string `json:"name"`
	Note      string `json:"note"`
	Favourite bool   `json:"favourite"`
	AddedMs   int64  `json:"added_at_ms"`
	UpdatedMs int64  `json:"updated_at_ms"`
}

// ListContacts asks for every contact.
type ListContacts struct{}

// ContactList answers ListContacts: favourites first, then by name, then by node id.
type ContactList struct{ Contacts []Contact }

// GetContact asks for one contact; ErrNotFound ("contact not found") when there is none.
type GetContact struct{ NodeID string }

// UpsertContact adds the contact NodeID or changes the fields that are present (the body of
// POST /contacts and PUT /contacts/:node_id). NodeID is the canonical text of a peer id: the
// caller decodes it. A new contact's absent fields are empty.
type UpsertContact struct {
	NodeID    string  `json:"node_id,omitempty"`
	Name      *string `json:"name,omitempty"`
	Note      *string `json:"note,omitempty"`
	Favourite *bool   `json:"favourite,omitempty"`
}

// Check validates the name and note, when present.
func (u UpsertContact) Check() error {
	if u.Name != nil {
		if err := CheckName("name", *u.Name, MaxContactName, false); err != nil {
			return err
		}
	}
	if u.Note != nil {
		return CheckNote("note", *u.Note, MaxContactNote)
	}
	return nil
}

// ContactUpserted answers UpsertContact; Created tells an added contact from a changed one.
type ContactUpserted struct {
	Contact Contact
	Created bool
}

// RemoveContact deletes the contact NodeID; ErrNotFound when there is none.
type RemoveContact struct{ NodeID string }

// ContactRemoved answers RemoveContact.
type ContactRemoved struct{ NodeID string }

// ContactChanged is the data of the contact_added, contact_updated and contact_removed events;
// Fields lists what an update changed. Notes are never copied into events. The contact is
// contact_node_id: node_id in an event's envelope is the node that reports it.
type ContactChanged struct {
	NodeID string   `json:"contact_node_id"`
	Fields []string `json:"fields,omitempty"`
}

// CheckNote checks free text of at most max characters: valid UTF-8, newlines and tabs allowed,
// no other control characters.
func CheckNote(field, s string, max int) error {
	switch {
	case !utf8.ValidString(s):
		return Invalid(field, "is not valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		return Invalid(field, "is longer than %d characters", max)
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0:
		return Invalid(field, "must not contain control characters other than newlines and tabs")
	}
	return nil
}
