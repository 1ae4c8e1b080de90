package temporalconn

import (
	"testing"

	"go.temporal.io/sdk/contrib/envconfig"
)

// FakeEnv is base for the external tests (namespace_test.go), which are
// external because they use internal/testkit, which imports this package.
func FakeEnv(t *testing.T) envconfig.EnvLookup { return base(t) }
