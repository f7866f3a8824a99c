package tlsconf

import (
	"net"
	"net/netip"
	"strings"
)

// sanList is a certificate's subject alternative names, without duplicates.
type sanList struct {
	dns  []string
	ips  []net.IP
	seen map[string]bool
}

func (s *sanList) addDNS(name string) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if !isDNSName(name) || s.seen[name] {
		return
	}
	s.seen[name] = true
	s.dns = append(s.dns, name)
}

func (s *sanList) addIP(ip netip.Addr) {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() || ip.IsUnspecified() || s.seen[ip.String()] {
		return
	}
	s.seen[ip.String()] = true
	s.ips = append(s.ips, net.IP(ip.AsSlice()))
}

// subjectAltNames lists localhost and the loopback IPs, the host name, every non-loopback
// interface IP, and the bind host when it names one address.
func subjectAltNames(hostname, bind string, ifaces []net.IP) sanList {
	s := sanList{seen: map[string]bool{}}
	s.addDNS("localhost")
	s.addIP(netip.MustParseAddr("127.0.0.1"))
	s.addIP(netip.IPv6Loopback())
	if hostname != "" {
		s.addDNS(hostname)
	}
	for _, ip := range ifaces {
		if a, ok := netip.AddrFromSlice(ip); ok && !a.Unmap().IsLoopback() {
			s.addIP(a)
		}
	}
	if host, _, err := net.SplitHostPort(bind); err == nil && host != "" {
		if a, err := netip.ParseAddr(host); err == nil {
			s.addIP(a)
		} else {
			s.addDNS(host)
		}
	}
	return s
}

// isDNSName reports whether name can be a dNSName SAN: dot-separated labels of letters,
// digits, "-" and "_", none empty.
func isDNSName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
