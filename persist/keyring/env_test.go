package keyring

import (
	"errors"
	"testing"
)

func TestEnvProvider(t *testing.T) {
	s := newStore(t)
	t.Setenv("MH_TEST_KEY", testKey(1))
	k := mustOpen(t, envConfig("MH_TEST_KEY"), s)
	if got := k.Status(); got != (Status{Enabled: true, Provider: ProviderEnv}) {
		t.Fatalf("status %+v", got)
	}
	sealed, _ := k.Seal("token", []byte("t0k3n"))
	t.Setenv("MH_TEST_KEY", " "+testKey(1)+"\n") // surrounding space is fine
	k = mustOpen(t, envConfig("MH_TEST_KEY"), s)
	if pt, err := k.Open("token", sealed); err != nil || string(pt) != "t0k3n" {
		t.Fatalf("reopen: %q %v", pt, err)
	}
}

func TestEnvProviderUnsetOrMalformed(t *testing.T) {
	s := newStore(t)
	t.Setenv("MH_TEST_KEY", "")
	if _, err := Open(envConfig("MH_TEST_KEY"), s); !errors.Is(err, ErrMissingKey) {
		t.Fatalf("unset: %v", err)
	}
	for _, bad := range []string{testKey(2)[:62], testKey(2) + "00", "zz" + testKey(2)[2:]} {
		t.Setenv("MH_TEST_KEY", bad)
		_, err := Open(envConfig("MH_TEST_KEY"), s)
		if !errors.Is(err, ErrMalformedKey) {
			t.Fatalf("malformed: %v", err)
		}
		noKeyIn(t, err.Error(), testKey(2)[2:])
	}
	if rec, err := readCheck(s); err != nil || rec != nil {
		t.Fatal("a failed start wrote a key check record")
	}
}
