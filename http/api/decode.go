package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/meshhold/meshhold/messages"
)

// DefaultBodyLimit is the JSON body limit DecodeJSON applies when given a limit of 0 or less.
const DefaultBodyLimit = 1 << 20

// Checker is implemented by request structs that validate themselves after decoding;
// DecodeJSON calls Check and returns its error (typically messages.Invalid or Required).
type Checker interface {
	Check() error
}

// DecodeJSON reads one JSON value of at most limit bytes from the body into dst, refusing
// unknown fields, then runs dst's Check if it has one. Its errors go straight to WriteError:
// 400 naming the offset or field, 413 for a body over the limit.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any, limit int64) error {
	if limit <= 0 {
		limit = DefaultBodyLimit
	}
	body := &countingReader{r: http.MaxBytesReader(w, r.Body, limit)}
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err, body.n)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return messages.Invalid("", "the request body holds more than one JSON value")
	}
	if c, ok := dst.(Checker); ok {
		return c.Check()
	}
	return nil
}

// Required returns messages.Invalid(field, "is required") when v is its type's zero value.
// Chain several with cmp.Or to report the first missing field.
func Required[T comparable](field string, v T) error {
	var zero T
	if v == zero {
		return messages.Invalid(field, "is required")
	}
	return nil
}

// decodeError turns an encoding/json error into a 400 (or keeps a 413) that a user can act on.
func decodeError(err error, offset int64) error {
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		tooBig  *http.MaxBytesError
		invalid *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &tooBig), errors.As(err, &invalid):
		return err // 413; a bad dst is a programming error (500)
	case errors.Is(err, io.EOF):
		return messages.Invalid("", "request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return messages.Invalid("", "malformed JSON: the body ends at byte offset %d, in the middle of a value", offset)
	case errors.As(err, &syntax):
		return messages.Invalid("", "malformed JSON at byte offset %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		if typ.Field == "" {
			return messages.Invalid("", "the request body must be %s, not %s", want(typ), typ.Value)
		}
		return &reasonError{
			kind: &messages.InvalidError{Field: typ.Field, Reason: "want " + want(typ)},
			msg:  fmt.Sprintf("field %q: want %s, got %s", typ.Field, want(typ), typ.Value),
		}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field := strings.Trim(name, `"`)
		return &reasonError{
			kind: &messages.InvalidError{Field: field, Reason: "unknown field"},
			msg:  fmt.Sprintf("unknown field %q", field),
		}
	}
	return messages.Invalid("", "malformed JSON: %v", err)
}

// countingReader counts the bytes read, to say where a truncated body ends.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// want names the JSON kind that decodes into the type the error was about.
func want(e *json.UnmarshalTypeError) string {
	t := e.Type
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if strings.HasPrefix(e.Value, "number") { // a fraction, or out of range
			return "a whole number that fits " + t.Kind().String()
		}
		return "a number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.String()
}
