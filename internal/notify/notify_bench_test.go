package notify_test

import (
	"context"
	"testing"
	"time"
)

// BenchmarkNotifyRequested measures one requested event end to end: the
// directory read, and for each of the two eligible approvers the claim, the
// rendering, one SMTP session (in-process server) and the recorded outcome.
// It reports e-mails per second and PostgreSQL writes per e-mail.
func BenchmarkNotifyRequested(b *testing.B) {
	w := newWorld(b)
	svc := w.service(w.config())
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = w.newCard("olivia")
	}
	writesBefore, _ := w.store.Counts()
	sentBefore := len(w.smtp.Messages())
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		in := w.card
		in.CardID = ids[i]
		if _, err := svc.Notify(context.Background(), in, nil); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	writes, _ := w.store.Counts()
	mails := len(w.smtp.Messages()) - sentBefore
	if mails != 2*b.N {
		b.Fatalf("%d e-mails for %d events, want 2 each", mails, b.N)
	}
	b.ReportMetric(float64(mails)/elapsed.Seconds(), "mails/s")
	b.ReportMetric(float64(writes-writesBefore)/float64(mails), "writes/mail")
}
