//go:build tools

// Package dex pins the Dex OpenID Connect provider that the console's tests
// and `make up` sign in against. It is a module of its own so that Dex's ~95
// dependencies stay out of cardflow's go.mod.
package dex

import _ "github.com/dexidp/dex/cmd/dex"
