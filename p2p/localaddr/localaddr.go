// Package localaddr lists this host's own IP addresses: what share URLs advertise and what the
// API's self-signed certificate names.
package localaddr

import (
	"net"
	"net/netip"
)

// InterfaceIPs lists the IPs of the interfaces that are up, IPv4-mapped ones unmapped.
func InterfaceIPs() []netip.Addr {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			var ip net.IP
			switch v := a.(type) {
			case *net.IPNet:
				ip = v.IP
			case *net.IPAddr:
				ip = v.IP
			}
			if addr, ok := netip.AddrFromSlice(ip); ok {
				out = append(out, addr.Unmap())
			}
		}
	}
	return out
}
