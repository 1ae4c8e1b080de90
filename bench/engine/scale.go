package engine

import "context"

// RunScale sets everything up (every system of the lineup, as in a
// comparison run, so that the process holds the same workers) and runs a
// scale scenario with n cards on the subject. A scenario that produces
// cards gets the CA and the print station, as a card scenario does.
func RunScale(ctx context.Context, cfg Config, lineup Lineup, scenario ScaleScenario, n int) (ScaleReport, error) {
	cfg.Production = cfg.Production || produces(scenario)
	e, err := setUpShown(ctx, cfg, lineup)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	return scenario.Run(ctx, e, e.Running(lineup.Subject), n)
}
