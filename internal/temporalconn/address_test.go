package temporalconn

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckAddress(t *testing.T) {
	for _, ok := range []string{"localhost:7233", "127.0.0.1:1", "[::1]:65535", "temporal.example.com:7233", "dns:///temporal:7233"} {
		if err := CheckAddress(ok); err != nil {
			t.Errorf("CheckAddress(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"localhost:notaport", "::::", "localhost", "localhost:", "localhost:0", "localhost:65536", "localhost:-1", ""} {
		err := CheckAddress(bad)
		var setting *SettingError
		if !errors.As(err, &setting) || setting.Kind != "BadAddress" {
			t.Errorf("CheckAddress(%q) = %v, want a BadAddress SettingError", bad, err)
			continue
		}
		if !strings.Contains(err.Error(), "\""+bad+"\"") || !strings.Contains(err.Error(), "TEMPORAL_ADDRESS") {
			t.Errorf("CheckAddress(%q) = %v: does not name the address and the variable", bad, err)
		}
	}
}
