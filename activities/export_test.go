package activities

// MapUserToCard lets the tests and benchmarks of package activities_test
// reach the mapping step of PrepareRequest on its own (it reads no database).
var MapUserToCard = (*Activities).mapUserToCard

// EnsureSecrets is the production step that gives a card its PIN and PUK
// (BeginIssue calls it), reachable on its own.
var EnsureSecrets = (*Activities).ensureSecrets
