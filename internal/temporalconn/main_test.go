package temporalconn_test

import (
	"testing"

	"github.com/cardflow/cardflow/internal/testkit"
)

// TestMain stops the dev server the namespace tests share (testkit.DevServer).
func TestMain(m *testing.M) { testkit.Main(m) }
