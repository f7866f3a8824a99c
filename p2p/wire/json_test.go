package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

type hello struct {
	Name    string   `json:"name"`
	Version int      `json:"version"`
	Vaults  []string `json:"vaults,omitempty"`
}

func TestJSONRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	in := []hello{{Name: "ann", Version: 1, Vaults: []string{"v1", "v2"}}, {Name: "bob"}}
	for _, h := range in {
		if err := WriteJSON(&buf, h); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range in {
		var got hello
		if err := ReadJSON(&buf, DefaultMaxFrame, &got); err != nil {
			t.Fatal(err)
		}
		if got.Name != want.Name || got.Version != want.Version || len(got.Vaults) != len(want.Vaults) {
			t.Fatalf("message %d: got %+v, want %+v", i, got, want)
		}
	}
	var h hello
	if err := ReadJSON(&buf, DefaultMaxFrame, &h); err != io.EOF {
		t.Fatalf("at the end: %v, want io.EOF", err)
	}
}

func TestJSONErrors(t *testing.T) {
	if err := WriteJSON(io.Discard, make(chan int)); err == nil {
		t.Error("a channel encoded without error")
	}
	var buf bytes.Buffer
	_ = WriteFrame(&buf, []byte("{not json"))
	var h hello
	if err := ReadJSON(&buf, DefaultMaxFrame, &h); err == nil {
		t.Error("bad JSON decoded without error")
	}
	buf.Reset()
	_ = WriteJSON(&buf, hello{Name: "a long enough name"})
	if err := ReadJSON(&buf, 8, &h); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("over the limit: %v, want ErrFrameTooLarge", err)
	}
	buf.Reset()
	_ = WriteFrame(&buf, []byte(`{"name":"x","future_field":[1,2]}`))
	if err := ReadJSON(&buf, DefaultMaxFrame, &h); err != nil || h.Name != "x" {
		t.Errorf("unknown field: %v %+v, want it ignored", err, h)
	}
}
