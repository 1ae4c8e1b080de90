package cfssl_test

import (
	"testing"

	"github.com/cardflow/cardflow/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }
