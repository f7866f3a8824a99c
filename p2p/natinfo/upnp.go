package natinfo

import (
	"context"
	"errors"
	"net/netip"
	"sync"

	"github.com/huin/goupnp"
	"github.com/huin/goupnp/dcps/internetgateway2"
	"github.com/huin/goupnp/soap"

	"github.com/meshhold/meshhold/messages"
)

// wanConn is what the three WAN connection services of an IGD have in common.
type wanConn interface {
	GetExternalIPAddressCtx(ctx context.Context) (string, error)
	GetSpecificPortMappingEntryCtx(ctx context.Context, remoteHost string, port uint16, protocol string) (
		internalPort uint16, internalClient string, enabled bool, description string, lease uint32, err error)
}

// upnpGateway is one WAN connection service found by SSDP.
type upnpGateway struct {
	conn wanConn
	sc   goupnp.ServiceClient
}

func (g upnpGateway) Name() string {
	if g.sc.RootDevice != nil {
		return g.sc.RootDevice.Device.FriendlyName
	}
	return ""
}

func (g upnpGateway) URL() string {
	if g.sc.Location != nil {
		return g.sc.Location.String()
	}
	return ""
}

func (g upnpGateway) ExternalIP(ctx context.Context) (string, error) {
	ip, err := g.conn.GetExternalIPAddressCtx(ctx)
	if err != nil {
		return "", err
	}
	if _, err := netip.ParseAddr(ip); err != nil {
		return "", errors.New("the gateway answered no IP address")
	}
	return ip, nil
}

// noSuchEntry is the UPnP error code of a mapping that does not exist.
const noSuchEntry = 714

func (g upnpGateway) Mapping(ctx context.Context, protocol string, port int) (messages.NATMapping, bool, error) {
	in, client, enabled, desc, lease, err := g.conn.GetSpecificPortMappingEntryCtx(ctx, "", uint16(port), protocol)
	var fault *soap.SOAPFaultError
	switch {
	case errors.As(err, &fault) && fault.Detail.UPnPError.Errorcode == noSuchEntry:
		return messages.NATMapping{}, false, nil
	case err != nil:
		return messages.NATMapping{}, false, err
	}
	return messages.NATMapping{Protocol: protocol, ExternalPort: port, InternalPort: int(in), InternalIP: client,
		Description: desc, Enabled: enabled, LeaseS: int64(lease)}, true, nil
}

// discoverUPnP searches the LAN for the WAN connection services of IGDs — WANIPConnection:2,
// WANIPConnection:1 and WANPPPConnection:1, at once, preferred in that order; SSDP waits about
// two seconds for answers. A machine without a gateway, or without a multicast route, finds none.
func discoverUPnP(ctx context.Context) ([]Gateway, error) {
	searches := []func(context.Context) ([]Gateway, error){
		func(ctx context.Context) ([]Gateway, error) {
			cs, _, err := internetgateway2.NewWANIPConnection2ClientsCtx(ctx)
			return wrap(cs, func(c *internetgateway2.WANIPConnection2) goupnp.ServiceClient { return c.ServiceClient }), err
		},
		func(ctx context.Context) ([]Gateway, error) {
			cs, _, err := internetgateway2.NewWANIPConnection1ClientsCtx(ctx)
			return wrap(cs, func(c *internetgateway2.WANIPConnection1) goupnp.ServiceClient { return c.ServiceClient }), err
		},
		func(ctx context.Context) ([]Gateway, error) {
			cs, _, err := internetgateway2.NewWANPPPConnection1ClientsCtx(ctx)
			return wrap(cs, func(c *internetgateway2.WANPPPConnection1) goupnp.ServiceClient { return c.ServiceClient }), err
		},
	}
	found := make([][]Gateway, len(searches))
	errs := make([]error, len(searches))
	var wg sync.WaitGroup
	for i, search := range searches {
		wg.Go(func() { found[i], errs[i] = search(ctx) })
	}
	wg.Wait()
	var gws []Gateway
	for _, f := range found {
		gws = append(gws, f...)
	}
	if len(gws) > 0 {
		return gws, nil
	}
	return nil, errors.Join(errs...)
}

func wrap[C wanConn](cs []C, sc func(C) goupnp.ServiceClient) []Gateway {
	out := make([]Gateway, 0, len(cs))
	for _, c := range cs {
		out = append(out, upnpGateway{conn: c, sc: sc(c)})
	}
	return out
}
