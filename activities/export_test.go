package activities

// MapUserToCard lets the tests and benchmarks of package activities_test
// reach the mapping step of PrepareRequest on its own (it reads no database).
var MapUserToCard = (*Activities).mapUserToCard
