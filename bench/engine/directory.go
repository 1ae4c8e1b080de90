package engine

// The people the bench acts as (seedActors puts them in the directory with
// their roles). The workflow checks every request and decision against the
// directory, so every card pays the same checks as in production, and the
// verification checks that these two, and nobody else, requested and decided.
const (
	Operator = "bench"
	Approver = "bench-approver"
)
