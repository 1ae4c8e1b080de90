package startercmd

import (
	"testing"

	"github.com/cardflow/cardflow/internal/testkit"
)

// TestMain stops the dev server the namespace test starts (testkit.DevServer).
func TestMain(m *testing.M) { testkit.Main(m) }
