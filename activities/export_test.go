package activities

import "github.com/cardflow/cardflow/internal/secrets"

// MapUserToCard lets the tests and benchmarks of package activities_test
// reach the mapping step of PrepareRequest on its own (it reads no database).
var MapUserToCard = (*Activities).mapUserToCard

// PlantPIN makes a's ensureSecrets take its PINs from newPIN, so that a
// test knows the PIN it then looks for in every table, file and log line.
// (A function, not a method: every exported method of Activities is
// registered as an activity.)
func PlantPIN(a *Activities, newPIN func(length int) (secrets.PIN, error)) { a.newPIN = newPIN }

// EnsureSecrets is the production step that gives a card its PIN and PUK
// (BeginIssue calls it), reachable on its own.
var EnsureSecrets = (*Activities).ensureSecrets
