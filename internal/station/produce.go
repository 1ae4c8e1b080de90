package station

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/activity"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cardrender"
)

// ProduceCard prints and encodes one card: it generates a key per usage on
// the chip, has the CA certify each, renders the card and writes card.pdf,
// front.png, back.png and chip.json into <Output>/<card id>/, then
// done.json. It is registered as ProduceCardActivity and runs once per job
// (RetryPolicy MaximumAttempts 1): every failure is a non-retryable
// application error of one of the Err* types, and a job that finds its own
// done.json returns that Result without printing again.
func (s *Station) ProduceCard(ctx context.Context, job Job) (Result, error) {
	start := time.Now()
	log := s.log().With(zap.String("station", s.ID), zap.String("jobId", job.JobID), zap.String("cardId", job.CardID), zap.String("cardNumber", job.Number))
	res, again, err := s.produce(ctx, job, log)
	if err != nil {
		log.Warn("Job failed", zap.Error(err), zap.Duration("took", time.Since(start)))
		return Result{}, err
	}
	if again {
		log.Info("Job already done; returning its result without printing again", zap.String("dir", res.Dir))
		return res, nil
	}
	serials := make([]string, len(res.Certificates))
	for i, c := range res.Certificates {
		serials[i] = string(c.Usage) + ":" + c.Serial
	}
	log.Info("Card produced", zap.String("dir", res.Dir), zap.Strings("files", res.Files), zap.String("uid", res.UID),
		zap.Strings("certificates", serials), zap.Duration("took", time.Since(start)))
	return res, nil
}

// produce is ProduceCard without the log line; found reports a Result found
// finished rather than made now.
func (s *Station) produce(ctx context.Context, job Job, log *zap.Logger) (res Result, found bool, err error) {
	if err := job.check(); err != nil {
		return Result{}, false, fail(ErrInvalidJob, nil, "job %s refused: %v", job.JobID, err)
	}
	dir := filepath.Join(s.Output, job.CardID)
	if res, ok, err := finished(dir, job.JobID); err != nil {
		return Result{}, false, fail(ErrOutputFailed, err, "cannot read the result of job %s", job.JobID)
	} else if ok {
		return res, true, nil
	}
	if err := s.failNext(); err != nil {
		return Result{}, false, err
	}
	if err := prepare(dir); err != nil {
		return Result{}, false, fail(ErrOutputFailed, err, "cannot write into %s", dir)
	}

	// Rendering first: it has no side effect, and a card that cannot be
	// drawn must fail before the CA issues anything for it.
	files, err := cardrender.Render(cardrender.Card{
		HolderName: job.HolderName, CardType: job.CardType, Number: job.Number,
		ValidUntil: job.ValidUntil, ProducedAt: job.ProducedAt,
	})
	if err != nil {
		return Result{}, false, fail(ErrInvalidJob, err, "cannot render card %s", job.Number)
	}

	progress(ctx, log, "generating keys")
	keys := make(map[ca.Usage]*ecdsa.PrivateKey, len(job.Usages))
	for _, u := range job.Usages {
		if keys[u], err = newKey(); err != nil {
			return Result{}, false, fail(ErrEncodeFailed, err, "the chip could not generate the %s key", u)
		}
	}
	certs := make([]ca.Certificate, 0, len(job.Usages))
	for _, u := range job.Usages {
		progress(ctx, log, "certifying "+string(u))
		c, err := s.certify(ctx, job, u, keys[u])
		if err != nil {
			return Result{}, false, err
		}
		certs = append(certs, c)
	}
	clear(keys) // the chip keeps its keys; the station forgets them

	uid, err := newUID()
	if err != nil {
		return Result{}, false, fail(ErrEncodeFailed, err, "no chip UID")
	}
	if err := ctx.Err(); err != nil {
		return Result{}, false, err // cancelled or timed out: print nothing
	}
	byName := files.ByName()
	for _, step := range []struct{ what, name string }{
		{"printing front", cardrender.PDFName},
		{"printing front", cardrender.FrontName},
		{"printing back", cardrender.BackName},
	} {
		progress(ctx, log, step.what)
		if err := writeAtomic(dir, step.name, byName[step.name]); err != nil {
			return Result{}, false, fail(ErrOutputFailed, err, "cannot write %s of card %s", step.name, job.Number)
		}
	}

	progress(ctx, log, "encoding chip")
	chip := Chip{CardNumber: job.Number, UID: uid}
	for _, c := range certs {
		chip.Certificates = append(chip.Certificates, ChipCertificate{Usage: string(c.Usage), Serial: c.Serial, PEM: c.PEM})
	}
	if err := writeJSON(dir, ChipName, chip); err != nil {
		return Result{}, false, fail(ErrEncodeFailed, err, "cannot write %s of card %s", ChipName, job.Number)
	}

	res = Result{
		Station: s.ID, UID: uid, Dir: dir,
		Files:        []string{cardrender.PDFName, cardrender.FrontName, cardrender.BackName, ChipName},
		Certificates: certs,
	}
	if err := writeJSON(dir, DoneName, doneRecord{JobID: job.JobID, Result: res}); err != nil {
		return Result{}, false, fail(ErrOutputFailed, err, "cannot record job %s as done", job.JobID)
	}
	return res, false, nil
}

// prepare makes the card's folder and forgets an earlier job's result
// there (an earlier generation): from here on the folder is this job's, and
// a crash part-way leaves no done.json that could be taken for it.
func prepare(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, DoneName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	// A folder one can list but not write into would fail later, after the
	// CA has issued: find out now.
	f, err := os.CreateTemp(dir, ".writable-*")
	if err != nil {
		return err
	}
	_ = f.Close()
	return os.Remove(f.Name())
}

// certify asks the CA for the certificate of key and checks that it is for
// key.
func (s *Station) certify(ctx context.Context, job Job, u ca.Usage, key *ecdsa.PrivateKey) (ca.Certificate, error) {
	csr, err := newCSR(key, job.HolderName, job.UPN)
	if err != nil {
		return ca.Certificate{}, fail(ErrEncodeFailed, err, "no certificate request for the %s key", u)
	}
	c, err := s.issue(ctx, ca.IssueRequest{
		CardID: job.CardID, Usage: u, Generation: job.Generation, CSR: csr,
		CommonName: job.HolderName, UPN: job.UPN, NotAfter: job.ValidUntil,
	})
	switch {
	case ca.IsPermanent(err):
		return ca.Certificate{}, fail(ErrCertificate, err, "the CA refused the %s certificate of card %s", u, job.Number)
	case err != nil:
		return ca.Certificate{}, fail(ErrCAUnavailable, err, "the CA did not issue the %s certificate of card %s; the card was not printed, repeat production once the CA answers", u, job.Number)
	}
	if err := matches(c.PEM, key); err != nil {
		return ca.Certificate{}, fail(ErrCertificate, err, "the %s certificate of card %s is unusable", u, job.Number)
	}
	if c.Usage == "" {
		c.Usage = u
	}
	return c, nil
}

// issue asks the CA, and while it does not answer (down, a timeout) asks
// again with backoff for up to CAWait, heartbeating what it waits for: a CA
// outage is ridden out like any other (Issue is idempotent: the serial comes
// from card, usage and generation), and only one that lasts fails the job.
func (s *Station) issue(ctx context.Context, r ca.IssueRequest) (ca.Certificate, error) {
	deadline := time.Now().Add(s.caWait())
	wait := time.Second
	for {
		c, err := s.Issuer.Issue(ctx, r)
		if err == nil || ca.IsPermanent(err) || ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return c, err
		}
		progress(ctx, s.log(), fmt.Sprintf("waiting for the CA to certify %s: %v", r.Usage, err))
		select {
		case <-ctx.Done():
			return c, err
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second) // a heartbeat at least every 5 s: IssueCard allows 10
	}
}

// progress heartbeats what the station is doing, which the Temporal UI
// shows as the activity's heartbeat details (the SDK sends the latest at
// most every throttle interval), and logs it at debug level.
func progress(ctx context.Context, log *zap.Logger, what string) {
	log.Debug("Job step", zap.String("step", what))
	if activity.IsActivity(ctx) { // not in a plain call
		activity.RecordHeartbeat(ctx, what)
	}
}
