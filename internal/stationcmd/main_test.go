package stationcmd_test

import (
	"testing"

	"github.com/cardflow/cardflow/internal/testkit"
)

// TestMain stops the dev server the integration tests start.
func TestMain(m *testing.M) { testkit.Main(m) }
