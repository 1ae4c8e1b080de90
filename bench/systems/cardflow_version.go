package systems

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/bench/engine"
)

// cardflowWorkerOptions are the run's worker options plus, with
// -workflow-version, the RequestCard version new executions record instead
// of the newest (the SDK's PreferredVersionProvider), so that two versions
// of the workflow can be measured with the same binary. It is the only
// place the bench knows of workflow versions.
func cardflowWorkerOptions(cfg engine.Config) worker.Options {
	opts := cfg.WorkerOptions()
	if cfg.WorkflowVersion > 0 {
		version := workflow.Version(cfg.WorkflowVersion)
		opts.PreferredVersionProvider = func(worker.PreferredVersionProviderInput) *worker.VersionPreference {
			return &worker.VersionPreference{Version: version}
		}
	}
	return opts
}
