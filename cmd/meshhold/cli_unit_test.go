package main

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

func TestCLINormalizeAPIURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":         "http://127.0.0.1:8080/api/v1",
		"http://127.0.0.1:8080/":        "http://127.0.0.1:8080/api/v1",
		"https://h:9/api/v1":            "https://h:9/api/v1",
		"https://h:9/api/v1/":           "https://h:9/api/v1",
		"127.0.0.1:8080":                "http://127.0.0.1:8080/api/v1",
		"http://proxy/meshhold?x=1#top": "http://proxy/meshhold/api/v1",
	} {
		if got, err := normalizeAPIURL(in); err != nil || got != want {
			t.Errorf("normalizeAPIURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"ftp://h", "http://", ":::"} {
		if _, err := normalizeAPIURL(bad); err == nil {
			t.Errorf("normalizeAPIURL(%q) accepted", bad)
		}
	}
}

func TestCLIErrorShowsMessageAndStatus(t *testing.T) {
	c := &apiClient{hint401: "it was the saved token"}
	if got := c.statusError(401, []byte(`{"error":"bad token"}`)).Error(); got != "bad token; it was the saved token (HTTP 401 Unauthorized)" {
		t.Errorf("401: %q", got)
	}
	if got := c.statusError(502, []byte("upstream down\n")).Error(); got != "upstream down (HTTP 502 Bad Gateway)" {
		t.Errorf("non-JSON: %q", got)
	}
	if got := c.statusError(404, nil).Error(); got != "not found (HTTP 404 Not Found)" {
		t.Errorf("empty: %q", got)
	}
}

func TestCLIPromptTwice(t *testing.T) {
	read := func(in string) (string, error) {
		r := bufio.NewReader(strings.NewReader(in))
		return promptTwice(&bytes.Buffer{}, "", func() (string, error) { return readLine(r) })
	}
	if pw, err := read("same pass\nsame pass\n"); err != nil || pw != "same pass" {
		t.Errorf("matching: %q %v", pw, err)
	}
	if _, err := read("one\nother\n"); err == nil || !strings.Contains(err.Error(), "differ") {
		t.Errorf("differing: %v", err)
	}
	if _, err := read(""); err == nil {
		t.Error("empty input accepted")
	}
	if pw, err := read("last\nlast"); err != nil || pw != "last" {
		t.Errorf("no final newline: %q %v", pw, err)
	}
}
