package outage

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Permissions follows the privileges the database role lacks. A missing
// grant is not an outage: PostgreSQL answers, and refuses. The work is
// retried all the same (nothing is lost once the grant is fixed), but the
// fix is a GRANT, so it is said at once and precisely: one error line per
// missing privilege, naming it and the object, until a check finds it
// granted (one line more), and Denied for readiness meanwhile.
type Permissions struct {
	// Missing tells which of the privileges the worker needs on obj the
	// role lacks, in GRANT's words ("INSERT", "UPDATE (status)"). The error
	// names the object but not the privilege; the database knows which.
	Missing func(ctx context.Context, obj Object) ([]string, error)
	// Fix is said with each missing privilege: how to grant it.
	Fix string
	// Every is how often the privileges still missing are checked again
	// (default 1s).
	Every time.Duration
	// Log receives the lines; nil logs nothing.
	Log *zap.Logger
	// OnChange, when set, is called with the denials after each change
	// (metrics).
	OnChange func([]Denial)

	mu sync.Mutex
	// open are the denials reported, with when one was last met (a
	// denial the check cannot name expires after unnamedFor without a
	// new error); pending are objects being looked up.
	open    map[Denial]time.Time
	pending map[Object]bool
	prober  bool
	closed  bool
	stop    chan struct{}
	done    chan struct{}
}

// unnamedFor is how long a denial of a privilege the worker's list does not
// name is reported after the last error that met it: no check can tell
// when it is granted.
const unnamedFor = time.Minute

// Observe reports the outcome of an operation on the database: a permission
// denied error is looked up (once per object while it is reported) and
// each privilege missing on the object is logged once; anything else
// changes nothing, since only a check of the privileges can tell that they
// were granted.
func (p *Permissions) Observe(err error) {
	if err == nil || Classify(err) != PermissionDenied {
		return
	}
	obj, ok := deniedObject(err.Error())
	if !ok {
		obj = Object{Kind: "table", Name: "?"}
	}
	p.mu.Lock()
	if p.closed || p.pending[obj] || p.touch(obj) {
		p.mu.Unlock()
		return
	}
	if p.pending == nil {
		p.pending = map[Object]bool{}
	}
	p.pending[obj] = true
	p.mu.Unlock()

	missing, lookupErr := p.lookup(obj)
	denials := make([]Denial, 0, len(missing))
	for _, priv := range missing {
		denials = append(denials, Denial{Privilege: priv, Object: obj})
	}
	if len(denials) == 0 {
		// Refused, yet every privilege the worker's list names on it is
		// held: report what PostgreSQL said, for a while.
		denials = append(denials, Denial{Object: obj})
	}
	p.mu.Lock()
	delete(p.pending, obj)
	if p.open == nil {
		p.open = map[Denial]time.Time{}
	}
	now := time.Now()
	var added []Denial
	for _, d := range denials {
		if _, ok := p.open[d]; !ok {
			added = append(added, d)
		}
		p.open[d] = now
	}
	startProber := !p.prober && !p.closed && len(p.open) > 0
	if startProber {
		p.prober = true
		p.stop, p.done = make(chan struct{}), make(chan struct{})
	}
	stop, done := p.stop, p.done
	p.mu.Unlock()
	for _, d := range added {
		p.logDenied(d, err, lookupErr)
	}
	if len(added) > 0 {
		p.changed()
	}
	if startProber {
		go p.probe(stop, done)
	}
}

// touch notes that a reported denial on obj was met again; it reports
// whether obj has one.
func (p *Permissions) touch(obj Object) bool {
	found := false
	now := time.Now()
	for d := range p.open {
		if d.Object == obj {
			p.open[d] = now
			found = true
		}
	}
	return found
}

func (p *Permissions) lookup(obj Object) ([]string, error) {
	if p.Missing == nil || obj.Name == "?" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.Missing(ctx, obj)
}

func (p *Permissions) logDenied(d Denial, err, lookupErr error) {
	if p.Log == nil {
		return
	}
	fields := []zap.Field{zap.String("privilege", d.Privilege), zap.String("object", d.Object.Name), zap.String("objectKind", d.Object.Kind)}
	if err != nil {
		fields = append(fields, zap.Error(err))
	}
	if p.Fix != "" {
		fields = append(fields, zap.String("fix", p.Fix))
	}
	if lookupErr != nil {
		fields = append(fields, zap.NamedError("lookupError", lookupErr))
	}
	msg := "PostgreSQL permission denied: the database role lacks " + d.String() +
		"; the work that needs it is retried until it is granted (logged once until then)"
	if d.Privilege == "" {
		msg = "PostgreSQL permission denied on " + d.Object.Kind + " " + d.Object.Name +
			", yet the role holds every privilege the worker's list names on it; the work is retried (logged once)"
	}
	p.Log.Error(msg, fields...)
}

// Denied returns the privileges reported missing and not yet found
// granted, in a stable order.
func (p *Permissions) Denied() []Denial {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.deniedLocked()
}

func (p *Permissions) deniedLocked() []Denial {
	out := make([]Denial, 0, len(p.open))
	for d := range p.open {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Denial) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// DeniedText is Denied for people: "INSERT on notifications; USAGE on
// sequence card_events_id_seq", empty when nothing is missing.
func (p *Permissions) DeniedText() string {
	denied := p.Denied()
	texts := make([]string, 0, len(denied))
	for _, d := range denied {
		texts = append(texts, d.String())
	}
	return strings.Join(texts, "; ")
}

// Close stops the checks.
func (p *Permissions) Close() {
	p.mu.Lock()
	p.closed = true
	stop, done := p.stop, p.done
	p.stop = nil
	p.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

func (p *Permissions) changed() {
	if p.OnChange != nil {
		p.OnChange(p.Denied())
	}
}

// probe checks the objects with open denials every p.Every until none is
// left, closing each denial found granted (one line each).
func (p *Permissions) probe(stop <-chan struct{}, done chan<- struct{}) {
	probeEvery(stop, done, interval(p.Every), p.recheck)
}

// recheck looks up every object with open denials once, closes those no
// longer missing, and reports whether any are left.
func (p *Permissions) recheck() (left bool) {
	p.mu.Lock()
	objects := map[Object]bool{}
	for d := range p.open {
		objects[d.Object] = true
	}
	p.mu.Unlock()

	stillMissing := map[Denial]bool{}
	checked := map[Object]bool{}
	for obj := range objects {
		missing, err := p.lookup(obj)
		if err != nil {
			continue // unknown: keep what is open
		}
		checked[obj] = true
		for _, priv := range missing {
			stillMissing[Denial{Privilege: priv, Object: obj}] = true
		}
	}

	p.mu.Lock()
	// A privilege on the same object revoked since is missing too: the
	// worker's next use of it fails, and the object's errors are not
	// looked up again while it has open denials.
	var added []Denial
	for d := range stillMissing {
		if _, ok := p.open[d]; !ok {
			p.open[d] = time.Now()
			added = append(added, d)
		}
	}
	var granted []Denial
	for d, seen := range p.open {
		switch {
		case d.Privilege == "" && time.Since(seen) > unnamedFor,
			d.Privilege != "" && checked[d.Object] && !stillMissing[d]:
			granted = append(granted, d)
			delete(p.open, d)
		}
	}
	left = len(p.open) > 0
	if !left {
		p.prober = false
		p.stop = nil
	}
	p.mu.Unlock()
	for _, d := range added {
		p.logDenied(d, nil, nil)
	}
	for _, d := range granted {
		if p.Log != nil && d.Privilege != "" {
			p.Log.Info("PostgreSQL privilege granted: "+d.String()+"; the work that needed it goes on", zap.String("privilege", d.Privilege), zap.String("object", d.Object.Name))
		}
	}
	if len(granted) > 0 || len(added) > 0 {
		p.changed()
	}
	return left
}
