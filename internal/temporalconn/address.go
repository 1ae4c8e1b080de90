package temporalconn

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// CheckAddress refuses a Temporal address that no server can ever answer
// at, such as "localhost:notaport" or "::::", so that a typo is reported at
// once instead of being retried like an outage. It accepts host:port with a
// port from 1 to 65535 (IPv6 hosts in brackets), and gRPC's
// "<resolver>:///<target>" form, which the SDK passes to gRPC as it is.
func CheckAddress(address string) error {
	if scheme, target, ok := strings.Cut(address, ":///"); ok && scheme != "" && !strings.ContainsAny(scheme, ":/[]") {
		if target == "" {
			return fmt.Errorf("address %q has no target after %s:///", address, scheme)
		}
		return nil
	}
	_, port, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("address %q is not host:port (for example localhost:7233, or [::1]:7233 for IPv6): %v", address, unwrapAddrError(err))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("address %q: port %q is not a number from 1 to 65535", address, port)
	}
	return nil
}

// unwrapAddrError drops net.AddrError's repetition of the address.
func unwrapAddrError(err error) string {
	if ae, ok := err.(*net.AddrError); ok {
		return ae.Err
	}
	return err.Error()
}
