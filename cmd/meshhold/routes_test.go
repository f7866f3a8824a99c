package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/meshhold/meshhold/http/api/apitest"
)

// Every route the daemon serves is listed in docs/endpoints.tsv or docs/api-extensions.tsv with
// the access rule it enforces, so a new route cannot come out open or undocumented.
func TestDaemonRoutesAreDocumented(t *testing.T) {
	apitest.CheckRoutes(t, (&daemon{}).routes(), "../../docs/endpoints.tsv", "../../docs/api-extensions.tsv")
}

// docs/endpoints.tsv is a copy of the reference's route list; where the reference is checked
// out beside the project, the copy must not drift from it.
func TestEndpointsCopyMatchesReference(t *testing.T) {
	ref, err := os.ReadFile("../../../shared/spec/endpoints.tsv")
	if err != nil {
		t.Skip("the reference spec is not beside this checkout")
	}
	if mine, _ := os.ReadFile("../../docs/endpoints.tsv"); !bytes.Equal(mine, ref) {
		t.Fatal("docs/endpoints.tsv differs from ../shared/spec/endpoints.tsv")
	}
}
