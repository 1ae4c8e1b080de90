package station_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/ca/catest"
	"github.com/cardflow/cardflow/internal/cardrender"
	"github.com/cardflow/cardflow/internal/station"
)

func newStation(t testing.TB) (*station.Station, *catest.CA) {
	t.Helper()
	authority := catest.New(t)
	// CAWait of a second: a CA that does not answer fails the job at once.
	return &station.Station{ID: "station-test", Output: t.TempDir(), Issuer: authority, Logger: zap.NewNop(), CAWait: time.Second}, authority
}

// observe gives s a logger whose lines the test reads.
func observe(s *station.Station) *observer.ObservedLogs {
	core, logs := observer.New(zap.DebugLevel)
	s.Logger = zap.New(core)
	return logs
}

// steps are the steps a job logged.
func steps(logs *observer.ObservedLogs) []string {
	var out []string
	for _, e := range logs.FilterMessage("Job step").All() {
		out = append(out, e.ContextMap()["step"].(string))
	}
	return out
}

// failureType returns the application error type of err, failing the test
// when err is none or is retryable (a physical job runs once).
func failureType(t *testing.T, err error) string {
	t.Helper()
	var app *temporal.ApplicationError
	if !errors.As(err, &app) {
		t.Fatalf("error %v (%T) is not an application error", err, err)
	}
	if !app.NonRetryable() {
		t.Errorf("failure %s is retryable; a physical job must not be retried", app.Type())
	}
	return app.Type()
}

// A job writes the card's four files and done.json, the PDF is two CR80
// pages, chip.json holds a certificate per usage whose key is the CSR's,
// and the heartbeats say what the station does.
func TestProduceCardWritesTheCard(t *testing.T) {
	s, authority := newStation(t)
	logs := observe(s)
	job := testJob(t, "card-1")
	res, beats, err := run(t, s, job)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.Output, job.CardID)
	if res.Station != s.ID || res.Dir != dir || len(res.UID) != 2*station.UIDBytes {
		t.Errorf("result %+v: want station %s, dir %s and a %d-byte hex UID", res, s.ID, dir, station.UIDBytes)
	}
	wantFiles := []string{cardrender.PDFName, cardrender.FrontName, cardrender.BackName, station.ChipName}
	if !reflect.DeepEqual(res.Files, wantFiles) {
		t.Errorf("result files %v, want %v", res.Files, wantFiles)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := append(slices.Clone(wantFiles), station.DoneName); !sameSet(names, want) {
		t.Errorf("folder holds %v, want exactly %v (no temporary file left)", names, want)
	}

	pdf, err := os.ReadFile(filepath.Join(dir, cardrender.PDFName))
	if err != nil {
		t.Fatal(err)
	}
	boxes := regexp.MustCompile(`/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]`).FindAllStringSubmatch(string(pdf), -1)
	if len(boxes) == 0 {
		t.Error("no MediaBox in card.pdf")
	}
	if pages := regexp.MustCompile(`/Type /Page\b`).FindAllString(string(pdf), -1); len(pages) != 2 {
		t.Errorf("%d pages, want 2 (front and back)", len(pages))
	}
	for _, b := range boxes {
		if b[1] != "242.65" || b[2] != "153.01" {
			t.Errorf("page of %s × %s points, want 242.65 × 153.01 (CR80)", b[1], b[2])
		}
	}
	for _, name := range []string{cardrender.FrontName, cardrender.BackName} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG")) {
			t.Errorf("%s is no PNG (%v)", name, err)
		}
	}

	var chip station.Chip
	data, err := os.ReadFile(filepath.Join(dir, station.ChipName))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &chip); err != nil {
		t.Fatalf("chip.json: %v", err)
	}
	for _, key := range []string{`"cardNumber"`, `"uid"`, `"certificates"`, `"usage"`, `"serial"`, `"pem"`} {
		if !bytes.Contains(data, []byte(key)) {
			t.Errorf("chip.json lacks %s:\n%s", key, data)
		}
	}
	if chip.CardNumber != job.Number || chip.UID != res.UID || len(chip.Certificates) != len(job.Usages) {
		t.Fatalf("chip.json %+v, want card number %s, UID %s and %d certificates", chip, job.Number, res.UID, len(job.Usages))
	}
	requests := authority.Requests()
	if len(requests) != len(job.Usages) {
		t.Fatalf("the CA got %d requests, want %d", len(requests), len(job.Usages))
	}
	for i, c := range chip.Certificates {
		r := requests[i]
		if c.Usage != string(job.Usages[i]) || r.Usage != job.Usages[i] {
			t.Errorf("certificate %d is for %s (asked for %s), want %s", i, c.Usage, r.Usage, job.Usages[i])
		}
		if want := ca.SerialText(job.CardID, job.Usages[i], job.Generation); c.Serial != want || res.Certificates[i].Serial != want {
			t.Errorf("certificate %d serial %s, want %s", i, c.Serial, want)
		}
		if r.CardID != job.CardID || r.Generation != job.Generation || r.CommonName != job.HolderName || r.UPN != job.UPN || !r.NotAfter.Equal(job.ValidUntil) {
			t.Errorf("issue request %+v does not match the job", r)
		}
		csr := parseCSR(t, r.CSR)
		if csr.Subject.CommonName != job.HolderName {
			t.Errorf("CSR subject CN %q, want %q", csr.Subject.CommonName, job.HolderName)
		}
		if upn, err := station.UPNFromCSR(r.CSR); err != nil || upn != job.UPN {
			t.Errorf("CSR UPN %q (%v), want %q", upn, err, job.UPN)
		}
		if _, ok := csr.PublicKey.(*ecdsa.PublicKey); !ok {
			t.Errorf("CSR key is %T, want ECDSA", csr.PublicKey)
		}
		cert := parseCert(t, c.PEM)
		if !cert.PublicKey.(*ecdsa.PublicKey).Equal(csr.PublicKey) {
			t.Errorf("the %s certificate's key is not the CSR's", c.Usage)
		}
	}
	want := []string{"generating keys", "certifying authentication", "certifying signing", "printing front", "printing front", "printing back", "encoding chip"}
	if got := steps(logs); !reflect.DeepEqual(got, want) {
		t.Errorf("steps %q, want %q", got, want)
	}
	// The SDK sends the latest details once per throttle interval: the
	// first at once, the rest when the interval ends (here after the job).
	if len(beats) == 0 || beats[0] != want[0] {
		t.Errorf("heartbeats %q, want %q first", beats, want[0])
	}
	done := logs.FilterMessage("Card produced").All()
	if len(done) != 1 {
		t.Fatalf("%d \"Card produced\" lines, want 1", len(done))
	}
	fields := done[0].ContextMap()
	if fields["cardId"] != job.CardID || fields["cardNumber"] != job.Number || fields["uid"] != res.UID || fields["dir"] != dir {
		t.Errorf("log line %v lacks the card id, number, UID or folder", fields)
	}
	for _, e := range logs.All() {
		if line := fmt.Sprint(e.Message, e.ContextMap()); regexp.MustCompile(`PRIVATE|BEGIN CERTIFICATE REQUEST`).MatchString(line) {
			t.Errorf("log line holds key material: %s", line)
		}
	}
	noPrivateKey(t, s.Output)
}

// The same job again returns the same result without printing (the files
// keep their modification times, the CA is not asked); the next generation
// of the card prints anew.
func TestSameJobReturnsItsResultWithoutPrintingAgain(t *testing.T) {
	s, authority := newStation(t)
	job := testJob(t, "card-2")
	first, _, err := run(t, s, job)
	if err != nil {
		t.Fatal(err)
	}
	before := mtimes(t, first.Dir)
	// Coarse file systems stamp whole seconds: a rewrite must show.
	past := time.Now().Add(-time.Hour)
	for name := range before {
		if err := os.Chtimes(filepath.Join(first.Dir, name), past, past); err != nil {
			t.Fatal(err)
		}
	}
	before = mtimes(t, first.Dir)
	logs := observe(s)
	again, _, err := run(t, s, job)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, first) {
		t.Errorf("second result %+v, want the first %+v", again, first)
	}
	if got := steps(logs); len(got) != 0 {
		t.Errorf("a finished job did %q again, want nothing done", got)
	}
	if after := mtimes(t, first.Dir); !reflect.DeepEqual(after, before) {
		t.Errorf("files rewritten: before %v, after %v", before, after)
	}
	if n := len(authority.Requests()); n != len(job.Usages) {
		t.Errorf("the CA got %d requests, want %d (none for the repeat)", n, len(job.Usages))
	}

	next := job
	next.Generation, next.JobID = 2, job.CardID+"/2"
	second, _, err := run(t, s, next)
	if err != nil {
		t.Fatal(err)
	}
	if second.UID == first.UID || second.Certificates[0].Serial == first.Certificates[0].Serial {
		t.Errorf("generation 2 kept UID %s or serial %s of generation 1", second.UID, second.Certificates[0].Serial)
	}
	if n := len(authority.Requests()); n != 2*len(job.Usages) {
		t.Errorf("the CA got %d requests, want %d", n, 2*len(job.Usages))
	}
}

// fail-next fails exactly the next job, with the type it names and before
// anything is printed; the job after it prints.
func TestFailNextFailsOneJobWithItsType(t *testing.T) {
	s, authority := newStation(t)
	if err := station.FailNext(s.Output, station.ErrRibbonOut, "ribbon 3 is empty"); err != nil {
		t.Fatal(err)
	}
	job := testJob(t, "card-3")
	_, _, err := run(t, s, job)
	if got := failureType(t, err); got != station.ErrRibbonOut {
		t.Errorf("failure type %s, want %s", got, station.ErrRibbonOut)
	}
	if !regexp.MustCompile(`ribbon 3 is empty`).MatchString(err.Error()) {
		t.Errorf("failure %q lacks the fail-next message", err)
	}
	if _, err := os.Stat(filepath.Join(s.Output, station.FailNextName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("fail-next still there (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(s.Output, job.CardID)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the failed job wrote its folder (%v)", err)
	}
	if n := len(authority.Requests()); n != 0 {
		t.Errorf("the CA got %d requests for a job that failed first", n)
	}
	if _, _, err := run(t, s, job); err != nil {
		t.Errorf("the job after fail-next: %v", err)
	}

	// Any word fails a job, an unknown one as PrinterOffline naming it.
	if err := os.WriteFile(filepath.Join(s.Output, station.FailNextName), []byte("Smoke\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = run(t, s, testJob(t, "card-3b"))
	if got := failureType(t, err); got != station.ErrPrinterOffline || !regexp.MustCompile(`"Smoke"`).MatchString(err.Error()) {
		t.Errorf("unknown fail-next word: %s %v, want PrinterOffline naming it", got, err)
	}
	if err := station.FailNext(s.Output, "Smoke", ""); err == nil {
		t.Error("FailNext took an unknown failure type")
	}
}

// An output folder the station cannot write into fails the job with
// OutputFailed before the CA is asked.
func TestUnwritableOutputFailsWithOutputFailed(t *testing.T) {
	s, authority := newStation(t)
	// A regular file where the folder should be: unwritable even for root.
	blocker := filepath.Join(s.Output, "blocker")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s.Output = filepath.Join(blocker, "out")
	_, _, err := run(t, s, testJob(t, "card-4"))
	if got := failureType(t, err); got != station.ErrOutputFailed {
		t.Errorf("failure type %s, want %s (%v)", got, station.ErrOutputFailed, err)
	}
	if os.Geteuid() != 0 {
		ro := t.TempDir()
		if err := os.Chmod(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(ro, 0o755) })
		s.Output = ro
		_, _, err := run(t, s, testJob(t, "card-4b"))
		if got := failureType(t, err); got != station.ErrOutputFailed {
			t.Errorf("read-only folder: failure type %s, want %s", got, station.ErrOutputFailed)
		}
	}
	if n := len(authority.Requests()); n != 0 {
		t.Errorf("the CA got %d requests for a job that could not be written", n)
	}
}

// A job that would print a wrong card, or write outside the output folder,
// is refused with InvalidJob and writes nothing at all.
func TestInvalidJobWritesNothing(t *testing.T) {
	for name, spoil := range map[string]func(*station.Job){
		"check digit": func(j *station.Job) {
			j.Number = j.Number[:len(j.Number)-1] + string('0'+(j.Number[len(j.Number)-1]-'0'+1)%10)
		},
		"card id path":  func(j *station.Job) { j.CardID = "../escape" },
		"no holder":     func(j *station.Job) { j.HolderName = " " },
		"unknown usage": func(j *station.Job) { j.Usages = []ca.Usage{"telepathy"} },
		"no usage":      func(j *station.Job) { j.Usages = nil },
	} {
		t.Run(name, func(t *testing.T) {
			s, authority := newStation(t)
			job := testJob(t, "card-5")
			spoil(&job)
			_, _, err := run(t, s, job)
			if got := failureType(t, err); got != station.ErrInvalidJob {
				t.Errorf("failure type %s, want %s (%v)", got, station.ErrInvalidJob, err)
			}
			if entries, _ := os.ReadDir(s.Output); len(entries) != 0 {
				t.Errorf("the output folder holds %v", entries)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(s.Output), "escape")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("written outside the output folder (%v)", err)
			}
			if n := len(authority.Requests()); n != 0 {
				t.Errorf("the CA got %d requests", n)
			}
		})
	}
}

// A CA refusal is CertificateRefused, a CA that does not answer is
// CAUnavailable, a certificate for another key is CertificateRefused; in
// each case nothing is printed and no done.json is left.
func TestCAFailuresPrintNothing(t *testing.T) {
	for name, c := range map[string]struct {
		spoil func(*catest.CA)
		want  string
	}{
		"refused":     {func(a *catest.CA) { a.Fail(&ca.PermanentError{Err: errors.New("bad CSR")}) }, station.ErrCertificate},
		"unavailable": {func(a *catest.CA) { a.Fail(errors.New("dial tcp 127.0.0.1:8888: connection refused")) }, station.ErrCAUnavailable},
		"another key": {func(a *catest.CA) { a.IssueForAnotherKey() }, station.ErrCertificate},
	} {
		t.Run(name, func(t *testing.T) {
			s, authority := newStation(t)
			c.spoil(authority)
			job := testJob(t, "card-6")
			_, _, err := run(t, s, job)
			if got := failureType(t, err); got != c.want {
				t.Errorf("failure type %s, want %s (%v)", got, c.want, err)
			}
			for _, name := range []string{cardrender.PDFName, cardrender.FrontName, station.ChipName, station.DoneName} {
				if _, err := os.Stat(filepath.Join(s.Output, job.CardID, name)); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s written (%v)", name, err)
				}
			}
		})
	}
}

// noPrivateKey fails if any file under dir holds private key material in
// PEM, or any file other than the card's.
func noPrivateKey(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte("PRIVATE KEY")) {
			t.Errorf("%s holds private key material", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func mtimes(t *testing.T, dir string) map[string]time.Time {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]time.Time{}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = info.ModTime()
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func parseCSR(t *testing.T, data []byte) *x509.CertificateRequest {
	t.Helper()
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatal("no PEM CSR")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return csr
}

func parseCert(t *testing.T, data string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(data))
	if block == nil {
		t.Fatal("no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// flakyIssuer fails its first calls as a CA that does not answer would.
type flakyIssuer struct {
	ca.Issuer
	failures int
	calls    int
}

func (f *flakyIssuer) Issue(ctx context.Context, r ca.IssueRequest) (ca.Certificate, error) {
	f.calls++
	if f.calls <= f.failures {
		return ca.Certificate{}, errors.New("dial tcp 127.0.0.1:8888: connect: connection refused")
	}
	return f.Issuer.Issue(ctx, r)
}

// A CA outage shorter than CAWait is ridden out inside the job: the card is
// produced, and the job said what it waited for.
func TestAShortCAOutageIsWaitedOut(t *testing.T) {
	s, authority := newStation(t)
	flaky := &flakyIssuer{Issuer: authority, failures: 2}
	s.Issuer, s.CAWait = flaky, time.Minute
	logs := observe(s)
	job := testJob(t, "card-7")
	result, _, err := run(t, s, job)
	if err != nil {
		t.Fatalf("job failed: %v", err)
	}
	if len(result.Certificates) != len(job.Usages) {
		t.Fatalf("%d certificates, want %d", len(result.Certificates), len(job.Usages))
	}
	waited := 0
	for _, step := range steps(logs) {
		if strings.HasPrefix(step, "waiting for the CA to certify") {
			waited++
		}
	}
	if waited != 2 {
		t.Errorf("logged %d waits for the CA, want 2: %v", waited, steps(logs))
	}
}
