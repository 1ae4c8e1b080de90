package station_test

import (
	"testing"

	"github.com/cardflow/cardflow/internal/testkit"
)

// TestMain stops the CA the integration test starts (testkit.CA).
func TestMain(m *testing.M) { testkit.Main(m) }
