package testkit

import (
	"net"
	"testing"
)

// FreeAddrs returns n loopback host:port addresses that were free a moment
// ago, all different: for servers that must be told their port up front
// (and keep it across a restart), so that suites running side by side
// never share one.
func FreeAddrs(t testing.TB, n int) []string {
	t.Helper()
	addrs := make([]string, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		// Held open until all are taken, so that no two are the same.
		defer ln.Close()
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs
}

// FreeAddr is one such address.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return FreeAddrs(t, 1)[0]
}
