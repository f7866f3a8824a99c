package localaddr

import "testing"

// Every address is valid and unmapped; a machine with a loopback interface up lists it.
func TestInterfaceIPs(t *testing.T) {
	ips := InterfaceIPs()
	loopback := false
	for _, a := range ips {
		if !a.IsValid() || a.Is4In6() {
			t.Fatalf("address %v is not valid or still IPv4-mapped", a)
		}
		loopback = loopback || a.IsLoopback()
	}
	if !loopback {
		t.Fatalf("no loopback address among %v", ips)
	}
}
