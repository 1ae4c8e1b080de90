// Package scenarios holds the workloads the bench runs, one file each,
// registered in All: the card scenarios, driven card by card on every
// system side by side (noapproval, approval, issue, deactivate-approval), and the scale scenarios, one
// large run on cardflow alone (waiting, expiry, order-request, order-issue).
package scenarios

import "github.com/cardflow/cardflow/bench/engine"

// All is the registry: the -help lists it in this order, and -scenarios
// picks card scenarios, or one scale scenario run by name (expiry,
// order-request, order-issue), from it.
var All = []engine.Scenario{NoApproval{}, Approval{}, Issue{}, DeactivateApproval{}, Waiting{}, Expiry{}, OrderRequest{}, OrderIssue{}}
