package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The e-mails a bench card must send, from the notifications table: when an
// approval card becomes requested, its one approver (bench-approver) is
// asked; when it is decided, its requester (bench) is told. The cards'
// users have no e-mail address, so their "decided" rows are skipped (or
// absent). No-approval cards send nothing.

// MailWithin is how long the e-mails of a batch may take after its last
// card answered: they may be sent after the workflow moved on (an outbox).
const MailWithin = 60 * time.Second

// MailCount is a group of notifications rows; Recipient is the bench's
// operator, its approver, or "card user". The report lists them, so that a
// failed e-mail check shows what the table held.
type MailCount struct {
	Event     string `db:"event" json:"event"`
	Recipient string `db:"recipient" json:"recipient"`
	Status    string `db:"status" json:"status"`
	N         int    `db:"n" json:"n"`
}

func mailCounts(ctx context.Context, db *sqlx.DB, ids []string) ([]MailCount, error) {
	var out []MailCount
	err := db.SelectContext(ctx, &out, `
		SELECT split_part(event, ':', 1) AS event, CASE WHEN recipient IN ($2, $3) THEN recipient ELSE 'card user' END AS recipient, status, count(*) AS n
		FROM notifications WHERE card_id = ANY($1::uuid[]) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
		pq.Array(ids), Operator, Approver)
	return out, err
}

// expected reports whether a row is one of the two e-mails an approval card
// sends. An operation's approval (deactivate-approval) names its events
// after the operation and its approval (deactivation-decided:<approval>);
// mailCounts keeps the part before the colon.
func (m MailCount) expected() bool {
	requested := m.Event == "requested" || strings.HasSuffix(m.Event, "-requested")
	decided := m.Event == "decided" || strings.HasSuffix(m.Event, "-decided")
	return (requested && m.Recipient == Approver) || (decided && m.Recipient == Operator)
}

// expectedSent counts the expected e-mails already sent.
func expectedSent(counts []MailCount) int {
	n := 0
	for _, c := range counts {
		if c.expected() && c.Status == "sent" {
			n += c.N
		}
	}
	return n
}

// WaitForMail polls until want of the expected e-mails of the approval
// cards ids are sent (2 per card once decided), or within has passed, and
// returns how long it waited and what the table held then.
func WaitForMail(ctx context.Context, db *sqlx.DB, ids []string, want int, within time.Duration) (time.Duration, []MailCount, error) {
	start := time.Now()
	deadline := start.Add(within)
	for {
		counts, err := mailCounts(ctx, db, ids)
		if err != nil {
			return time.Since(start), nil, err
		}
		if expectedSent(counts) >= want || time.Now().After(deadline) {
			return time.Since(start), counts, nil
		}
		select {
		case <-ctx.Done():
			return time.Since(start), counts, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// MailReport is what the run's e-mails came to.
type MailReport struct {
	// SentPerApprovalCard should be 2: the approver asked, the requester told.
	SentPerApprovalCard float64     `json:"sentPerApprovalCard"`
	SentRows            int         `json:"sentRows"`
	MailpitMessages     int         `json:"mailpitMessages"`
	Rows                []MailCount `json:"rows"`
}

// VerifyMail checks the e-mails of every bench card: each approval card's
// two sent, nothing failed or left pending, nobody else mailed, and Mailpit
// holding exactly the messages the table says were sent.
func VerifyMail(ctx context.Context, e *Env, approvalIDs, allIDs []string, r *MailReport) ([]string, error) {
	if _, _, err := WaitForMail(ctx, e.DB, approvalIDs, 2*len(approvalIDs), MailWithin); err != nil {
		return nil, err
	}
	counts, err := mailCounts(ctx, e.DB, allIDs)
	if err != nil {
		return nil, err
	}
	r.Rows = counts
	var problems []string
	sent := 0
	for _, c := range counts {
		switch {
		case c.Status == "sent":
			sent += c.N
			if !c.expected() {
				problems = append(problems, fmt.Sprintf("e-mail: %d %s e-mails sent to %s, who should get none", c.N, c.Event, c.Recipient))
			}
		case c.Status != "skipped":
			problems = append(problems, fmt.Sprintf("e-mail: %d %s e-mails to %s are %s after %s", c.N, c.Event, c.Recipient, c.Status, MailWithin))
		case c.expected():
			problems = append(problems, fmt.Sprintf("e-mail: %d %s e-mails to %s were skipped", c.N, c.Event, c.Recipient))
		}
	}
	r.SentRows = sent
	if len(approvalIDs) > 0 {
		r.SentPerApprovalCard = float64(expectedSent(counts)) / float64(len(approvalIDs))
	}
	if got := expectedSent(counts); got != 2*len(approvalIDs) {
		problems = append(problems, fmt.Sprintf("e-mail: %d of the %d expected e-mails sent (%d approval cards × 2) within %s", got, 2*len(approvalIDs), len(approvalIDs), MailWithin))
	}
	if r.MailpitMessages, err = e.Mail.Total(ctx); err != nil {
		return problems, err
	}
	if r.MailpitMessages != sent {
		problems = append(problems, fmt.Sprintf("e-mail: Mailpit holds %d messages, the notifications table says %d were sent", r.MailpitMessages, sent))
	}
	return problems, nil
}
