package api_test

import (
	"cmp"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
)

// loginRequest is a request struct with a Check, as handlers write them.
type loginRequest struct {
	Password string `json:"password"`
	Remember *bool  `json:"remember"`
	TTL      int    `json:"ttl_s"`
	Scope    struct {
		Vaults []string `json:"vaults"`
	} `json:"scope"`
}

func (r loginRequest) Check() error {
	return cmp.Or(api.Required("password", r.Password), api.Required("remember", r.Remember))
}

// decode runs DecodeJSON on body and answers as a handler would.
func decode(body string, limit int64) (*httptest.ResponseRecorder, error) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	var dst loginRequest
	err := api.DecodeJSON(rec, req, &dst, limit)
	if err != nil {
		api.WriteError(rec, req, err)
	}
	return rec, err
}

func TestDecodeJSON(t *testing.T) {
	for _, tc := range []struct {
		body   string
		status int
		want   string
		field  string
	}{
		{`{"password":"hunter2","remember":true}`, 0, "", ""},
		{``, 400, "request body is empty", ""},
		{`{"password":"x",}`, 400, "malformed JSON at byte offset 17", ""},
		{`{"password":`, 400, "ends at byte offset 12, in the middle of a value", ""},
		{`{"password":5}`, 400, `field "password": want a string, got number`, "password"},
		{`{"password":"x","ttl_s":"soon"}`, 400, `field "ttl_s": want a number, got string`, "ttl_s"},
		{`{"password":"x","ttl_s":1.5}`, 400, `field "ttl_s": want a whole number`, "ttl_s"},
		{`{"password":"x","scope":{"vaults":"v1"}}`, 400, `field "scope.vaults": want an array`, "scope.vaults"},
		{`{"password":"x","remember":true,"admin":true}`, 400, `unknown field "admin"`, "admin"},
		{`[1]`, 400, "must be an object", ""},
		{`{"password":"x"} {"password":"y"}`, 400, "more than one JSON value", ""},
		{`{"remember":false}`, 400, "password: is required", "password"},
		{`{"password":"x"}`, 400, "remember: is required", "remember"},
		{`{"password":"` + strings.Repeat("a", 100) + `"}`, 413, "limit is 64 bytes", ""},
	} {
		rec, err := decode(tc.body, 64)
		if tc.status == 0 {
			if err != nil {
				t.Errorf("%s: %v", tc.body, err)
			}
			continue
		}
		if rec.Code != tc.status || !strings.Contains(errorOf(t, rec), tc.want) {
			t.Errorf("%s: %d %s, want %d containing %q", tc.body, rec.Code, rec.Body, tc.status, tc.want)
		}
		var invalid *messages.InvalidError
		if tc.status == 400 && (!errors.As(err, &invalid) || invalid.Field != tc.field) {
			t.Errorf("%s: %#v is not an InvalidError for field %q", tc.body, err, tc.field)
		}
	}
}

func TestDecodeJSONDefaultLimit(t *testing.T) {
	big := `{"password":"` + strings.Repeat("a", api.DefaultBodyLimit) + `"}`
	if rec, _ := decode(big, 0); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("over the default limit: %d", rec.Code)
	}
	if _, err := decode(`{"password":"x","remember":true}`, 0); err != nil {
		t.Error(err)
	}
}
