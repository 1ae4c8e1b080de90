// Package systems holds the implementations of the card's job the bench
// drives side by side, one file each: cardflow, the subject, with
// everything on; minimal, the fixed yardstick; baseline, RequestCard's
// shape with empty activities, kept for continuity with earlier figures.
// Each implements engine.System and is registered in All.
package systems

import "github.com/cardflow/cardflow/bench/engine"

// Names of the systems, as the tables, the JSON and the workflow ids use
// them.
const (
	CardflowName = "cardflow"
	BaselineName = "baseline"
	MinimalName  = "minimal"
)

// All is the registry: every system a run drives, in the order of a round's
// first batch (later rounds rotate it), the subject they are compared with,
// and the ratio tables, the headline first.
var All = engine.Lineup{
	Systems: []engine.System{Cardflow{}, Baseline{}, Minimal{}},
	Subject: CardflowName,
	Comparisons: []engine.Comparison{
		{Against: MinimalName, Targets: true},
		{Against: BaselineName, Note: "continuity"},
	},
}
