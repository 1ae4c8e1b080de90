package cadev

import "net"

// FreeAddrs returns n loopback addresses that were free a moment ago, for a
// CA started on ports of its own (the tests, the bench): CFSSL does not
// report a port it picked itself.
func FreeAddrs(n int) ([]string, error) {
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs, nil
}
