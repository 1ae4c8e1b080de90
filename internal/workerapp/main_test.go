package workerapp_test

import (
	"testing"

	"github.com/cardflow/cardflow/internal/testkit"
)

// TestMain stops the dev server the tests start (testkit.DevServer).
func TestMain(m *testing.M) { testkit.Main(m) }
