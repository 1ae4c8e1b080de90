package temporalconn

import (
	"strings"
	"testing"
)

func TestCheckAddress(t *testing.T) {
	for _, ok := range []string{"localhost:7233", "127.0.0.1:1", "[::1]:65535", "temporal.example.com:7233", "dns:///temporal:7233"} {
		if err := CheckAddress(ok); err != nil {
			t.Errorf("CheckAddress(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"localhost:notaport", "::::", "localhost", "localhost:0", "localhost:65536", "localhost:-1", "", "dns:///"} {
		err := CheckAddress(bad)
		if err == nil {
			t.Errorf("CheckAddress(%q) = nil, want an error", bad)
			continue
		}
		if !strings.Contains(err.Error(), "\""+bad+"\"") {
			t.Errorf("CheckAddress(%q) = %v: does not name the address", bad, err)
		}
	}
}
