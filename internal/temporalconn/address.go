package temporalconn

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// CheckAddress refuses a Temporal address that no server can ever answer
// at, such as "localhost", "localhost:notaport" or "::::", with a
// *SettingError of kind BadAddress: callers that retry while Temporal is
// unreachable would otherwise retry a typo like an outage. It accepts
// host:port with a port from 1 to 65535 (IPv6 hosts in brackets); a gRPC
// target with a scheme ("dns:///host:port") is left to the SDK.
func CheckAddress(address string) error {
	if strings.Contains(address, "://") {
		return nil
	}
	_, port, err := net.SplitHostPort(address)
	if err != nil || port == "" {
		return badAddress(address, "is not host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return badAddress(address, fmt.Sprintf("has port %q, not a number from 1 to 65535", port))
	}
	return nil
}

func badAddress(address, problem string) error {
	return &SettingError{Kind: "BadAddress", Message: fmt.Sprintf(
		"Temporal address %q %s: set TEMPORAL_ADDRESS (--temporal-address) to the frontend's host and port, for example %s", address, problem, DefaultAddress)}
}
