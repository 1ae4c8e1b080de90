package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
)

// activitySampleCards is how many of a batch's last cards the activity
// table reads the histories of, per system and scenario.
const activitySampleCards = 50

// ActivityTime is where a card's time goes, activity by activity, read
// from the histories of the last cards of a system in a scenario: how long
// each activity waited for a worker (scheduled → started) and ran
// (started → completed), the server's own timestamps. It tells the station
// job from the CA's calls from the database's writes, where CPU time
// cannot.
type ActivityTime struct {
	System   string  `json:"system"`
	Scenario string  `json:"scenario"`
	Activity string  `json:"activity"`
	Count    int     `json:"count"`
	WaitP50  float64 `json:"waitP50ms"`
	RunP50   float64 `json:"runP50ms"`
	RunP99   float64 `json:"runP99ms"`
	RunMean  float64 `json:"runMeanMs"`
}

// activityTimes reads the histories of cards (and their lanes' runs) and
// returns the times of each activity type, in the order first seen.
func activityTimes(ctx context.Context, sys Running, system, scenario string, cards []Card) ([]ActivityTime, error) {
	waits, runs := map[string][]time.Duration{}, map[string][]time.Duration{}
	var order []string
	add := func(id, runID string) error {
		scheduled := map[int64]*historypb.HistoryEvent{}
		started := map[int64]time.Time{}
		iter := sys.Client().GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			ev, err := iter.Next()
			if err != nil {
				return err
			}
			switch ev.GetEventType() {
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				scheduled[ev.GetEventId()] = ev
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
				a := ev.GetActivityTaskStartedEventAttributes()
				s := scheduled[a.GetScheduledEventId()]
				if s == nil {
					continue
				}
				started[a.GetScheduledEventId()] = ev.GetEventTime().AsTime()
				name := s.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
				if _, seen := runs[name]; !seen {
					order = append(order, name)
					runs[name] = nil
				}
				waits[name] = append(waits[name], ev.GetEventTime().AsTime().Sub(s.GetEventTime().AsTime()))
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
				a := ev.GetActivityTaskCompletedEventAttributes()
				s, at := scheduled[a.GetScheduledEventId()], started[a.GetScheduledEventId()]
				if s == nil || at.IsZero() {
					continue
				}
				name := s.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
				runs[name] = append(runs[name], ev.GetEventTime().AsTime().Sub(at))
			}
		}
		return nil
	}
	for _, card := range cards {
		// A card inserted by the scenario's setup has no request workflow.
		var nf *serviceerror.NotFound
		if err := add(sys.WorkflowID(card), ""); err != nil && !errors.As(err, &nf) {
			return nil, err
		}
		lane := sys.LaneWorkflowID(card)
		resp, err := sys.Client().ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: fmt.Sprintf("WorkflowId = '%s'", lane)})
		if err != nil {
			return nil, err
		}
		for _, run := range resp.GetExecutions() {
			if err := add(lane, run.GetExecution().GetRunId()); err != nil {
				return nil, err
			}
		}
	}
	var out []ActivityTime
	for _, name := range order {
		r := runs[name]
		out = append(out, ActivityTime{System: system, Scenario: scenario, Activity: name, Count: len(r),
			WaitP50: percentileMs(waits[name], 0.5), RunP50: percentileMs(r, 0.5), RunP99: percentileMs(r, 0.99), RunMean: meanMs(r)})
	}
	return out, nil
}

// percentileMs is the p-th percentile of ds in milliseconds (0 if empty).
func percentileMs(ds []time.Duration, p float64) float64 {
	s := &Sample{Latencies: ds}
	if len(ds) == 0 {
		return 0
	}
	lat := slices.Clone(s.Latencies)
	slices.Sort(lat)
	i := max(0, min(int(p*float64(len(lat))+0.5)-1, len(lat)-1))
	return float64(lat[i].Microseconds()) / 1000
}

func meanMs(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return float64(sum.Microseconds()) / 1000 / float64(len(ds))
}

// printActivityTimes is the activity table, for the scenarios whose cards
// have operations (more than one run): where their time goes.
func printActivityTimes(w io.Writer, ts []ActivityTime) {
	if len(ts) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%-40s %6s %14s %12s %12s %12s\n", "activity (last cards' histories)", "n", "wait p50 ms", "run p50 ms", "run p99 ms", "run mean ms")
	for _, t := range ts {
		fmt.Fprintf(w, "%-40s %6d %14.2f %12.2f %12.2f %12.2f\n", t.System+" "+t.Scenario+" "+t.Activity, t.Count, t.WaitP50, t.RunP50, t.RunP99, t.RunMean)
	}
}
