package notify_test

import (
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/notify"
)

// BenchmarkOutboxRequested measures requested events sent by the outbox
// dispatcher: queued beforehand (with their cards), then claimed in
// batches of 32 and sent over one SMTP session per batch. It reports
// e-mails per second and PostgreSQL statements per event, to compare with
// BenchmarkNotifyRequested (one Notify call, one SMTP session, per event).
func BenchmarkOutboxRequested(b *testing.B) {
	w := newWorld(b)
	for range b.N {
		w.queue()
	}
	writes0, reads0 := w.store.Counts()
	sent0 := len(w.smtp.Messages())
	d := w.service(w.config()).Dispatcher(notify.DispatcherOptions{Poll: time.Hour})
	b.ResetTimer()
	start := time.Now()
	stop := run(b, d)
	if !w.smtp.Wait(5*time.Minute, func() bool { return len(w.smtp.Messages())-sent0 >= 2*b.N }) {
		b.Fatalf("%d e-mails for %d events", len(w.smtp.Messages())-sent0, b.N)
	}
	waitFor(b, time.Minute, "outbox emptied", func() bool { return w.outbox() == 0 })
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	writes, reads := w.store.Counts()
	mails := len(w.smtp.Messages()) - sent0
	if mails != 2*b.N {
		b.Fatalf("%d e-mails for %d events, want 2 each", mails, b.N)
	}
	b.ReportMetric(float64(mails)/elapsed.Seconds(), "mails/s")
	b.ReportMetric(float64(writes-writes0+reads-reads0)/float64(b.N), "statements/event")
}
