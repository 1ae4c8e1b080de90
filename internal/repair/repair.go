// Package repair mends cards that a workflow can no longer decide: a card
// left requested in PostgreSQL with no running RequestCard execution behind
// it (the execution was terminated, for example by Temporal because an
// oversized input made its history or a payload too large, before input
// limits existed). Such a card blocks its user for ever: nobody can approve
// it, and the open request it holds refuses every new one of that type
// (DuplicateOpenRequest). Repair aborts it, with actor system and a comment
// that says why, so that the user can request again.
package repair

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// Stranded is a requested card whose workflow does not run.
type Stranded struct {
	CardID     string `json:"cardId"`
	UserID     string `json:"userId"`
	CardType   string `json:"cardType"`
	WorkflowID string `json:"workflowId"`
	// WorkflowStatus is how the execution ended ("Terminated", "Failed",
	// ...) or "NotFound" when Temporal has no record of it (its retention
	// period ran out, or it never started).
	WorkflowStatus string `json:"workflowStatus"`
	// Aborted says the card was aborted by this run; false with DryRun, or
	// when the card was decided meanwhile.
	Aborted bool `json:"aborted"`
}

// Options say how a repair runs.
type Options struct {
	// DryRun lists the stranded cards and changes nothing.
	DryRun bool
	// Now gives the time of the abort; time.Now when nil.
	Now func() time.Time
}

// pageSize is how many requested cards are read at a time.
const pageSize = 500

// Run finds every requested card whose workflow is not running and, unless
// DryRun, aborts it with one state-guarded statement (its audit row in the
// same statement). It is idempotent: a card already aborted is no longer
// requested, and a card decided between the check and the write is left as
// it is.
func Run(ctx context.Context, st *store.Store, tc client.Client, opts Options) ([]Stranded, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	var found []Stranded
	after := ""
	for {
		page, err := st.RequestedCards(ctx, after, pageSize)
		if err != nil {
			return found, err
		}
		for _, c := range page {
			s, stranded, err := check(ctx, tc, c)
			if err != nil {
				return found, err
			}
			if !stranded {
				continue
			}
			if !opts.DryRun {
				_, changed, err := st.TransitionCard(ctx, store.Transition{
					CardID: c.ID, To: cards.StateAborted, Actor: cards.SystemActor, Comment: Comment(s.WorkflowStatus), At: now().UTC(),
				})
				var final *store.ErrAlreadyFinal
				switch {
				case errors.As(err, &final):
					// Decided meanwhile: nothing to mend.
				case err != nil:
					return found, fmt.Errorf("abort card %s: %w", c.ID, err)
				default:
					s.Aborted = changed
				}
			}
			found = append(found, s)
		}
		if len(page) < pageSize {
			return found, nil
		}
		after = page[len(page)-1].ID
	}
}

// Comment is the audit comment of a repaired card.
func Comment(workflowStatus string) string {
	ended := "it ended as " + workflowStatus
	if workflowStatus == "NotFound" {
		ended = "Temporal has no record of it"
	}
	return fmt.Sprintf("aborted by repair: no running workflow behind this request (%s); the user may request again", ended)
}

// check asks Temporal whether the card's workflow runs.
func check(ctx context.Context, tc client.Client, c store.Card) (Stranded, bool, error) {
	wid := c.WorkflowID
	if wid == "" {
		wid = requestcard.WorkflowID(c.ID)
	}
	s := Stranded{CardID: c.ID, UserID: c.UserID, CardType: c.CardType, WorkflowID: wid}
	desc, err := tc.DescribeWorkflowExecution(ctx, wid, "")
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
		s.WorkflowStatus = "NotFound"
		return s, true, nil
	case err != nil:
		return s, false, fmt.Errorf("describe workflow %s: %w", wid, err)
	}
	status := desc.GetWorkflowExecutionInfo().GetStatus()
	if status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return s, false, nil
	}
	s.WorkflowStatus = statusName(status)
	return s, true, nil
}

// statusName is the status as the Temporal CLI and UI say it ("TimedOut").
func statusName(status enumspb.WorkflowExecutionStatus) string { return status.String() }
