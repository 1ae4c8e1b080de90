package engine

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/sdk/client"
)

// fakeSystem refuses the request of the cards it is told to and answers
// everything else at once.
type fakeSystem struct{ refuse map[string]bool }

func (f fakeSystem) Request(_ context.Context, c Card, _ CardRequest) error {
	if f.refuse[c.ID] {
		return errors.New("refused")
	}
	return nil
}
func (fakeSystem) Approve(context.Context, Card) error          { return nil }
func (fakeSystem) Issue(context.Context, Card) error            { return nil }
func (fakeSystem) Activate(context.Context, Card) error         { return nil }
func (fakeSystem) Deactivate(context.Context, Card) error       { return nil }
func (fakeSystem) ApproveOperation(context.Context, Card) error { return nil }
func (fakeSystem) Client() client.Client                        { return nil }
func (fakeSystem) TaskQueue() string                            { return "" }
func (fakeSystem) WorkflowID(c Card) string                     { return c.ID }
func (fakeSystem) LaneWorkflowID(c Card) string                 { return "lane-" + c.ID }

// twoSteps requests, then approves, as a card scenario does.
type twoSteps struct{}

func (twoSteps) Name() string                                           { return "two" }
func (twoSteps) Description() string                                    { return "" }
func (twoSteps) Steps() []string                                        { return []string{"request", "approve"} }
func (twoSteps) Setup(context.Context, *Env, []Card) error              { return nil }
func (twoSteps) StateChanges() int                                      { return 2 }
func (twoSteps) MailsPerCard() int                                      { return 0 }
func (twoSteps) Verify(context.Context, *Env, []Card) ([]string, error) { return nil, nil }
func (twoSteps) Run(ctx context.Context, sys Running, c Card, step StepFunc) {
	if step("request", func() error { return sys.Request(ctx, c, CardRequest{Approval: true}) }) != nil {
		return
	}
	_ = step("approve", func() error { return sys.Approve(ctx, c) })
}

// Every step has every card: a card whose request failed counts as failed
// in the step it never reached and in the whole, so that a scenario cannot
// look faster by losing its failures.
func TestDriveCountsUnreachedStepsAsFailed(t *testing.T) {
	cards := NewCards("u-", 5)
	sys := fakeSystem{refuse: map[string]bool{cards[1].ID: true, cards[3].ID: true}}
	samples := drive(context.Background(), Config{C: 2}, sys, "fake", twoSteps{}, cards, "test")
	got := map[string]*Sample{}
	for _, s := range samples {
		got[s.Name] = s
	}
	for _, c := range []struct {
		name          string
		errors, timed int
	}{{"fake two request", 2, 3}, {"fake two approve", 2, 3}, {"fake two card", 2, 3}} {
		s := got[c.name]
		if s == nil {
			t.Fatalf("no sample %q among %v", c.name, got)
		}
		if s.Count != len(cards) || s.Errors != c.errors || len(s.Latencies) != c.timed || s.Wall <= 0 {
			t.Errorf("%s: count %d, errors %d, %d latencies, wall %s; want %d, %d, %d, > 0",
				c.name, s.Count, s.Errors, len(s.Latencies), s.Wall, len(cards), c.errors, c.timed)
		}
	}
	if len(samples) != 3 {
		t.Errorf("%d samples, want one per step and the card", len(samples))
	}
}
