package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/toxics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/cardflow/cardflow/internal/ca/cfssl"
)

// caProxy is a pair of TCP proxies (toxiproxy, in-process) in front of the
// test binary's CFSSL: its API and its OCSP responder. Cutting it is the CA
// killed: open connections closed, new ones refused, on both ports at
// once; restoring it is the CA back on the same addresses. Its Config is
// what a station or a worker is given instead of the CA's own, so that one
// test cuts its CA without disturbing the other tests sharing CFSSL. The
// certificate store (PostgreSQL) stays reachable: CFSSL is what dies.
type caProxy struct {
	t         *testing.T
	api, ocsp *toxiproxy.Proxy
	// Config is the CA reached through the proxies.
	Config cfssl.Config
	armed  atomic.Int64
}

// newCAProxy proxies the CA of upstream; the proxies stop with the test.
func newCAProxy(t *testing.T, name string, upstream cfssl.Config) *caProxy {
	t.Helper()
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	start := func(what, rawURL string) *toxiproxy.Proxy {
		u, err := url.Parse(rawURL)
		if err != nil {
			t.Fatal(err)
		}
		p := toxiproxy.NewProxy(server, name+"-"+what, "127.0.0.1:0", u.Host)
		if err := p.Start(); err != nil {
			t.Fatalf("start the CA's %s proxy: %v", what, err)
		}
		t.Cleanup(p.Stop)
		return p
	}
	p := &caProxy{t: t, api: start("api", upstream.URL), ocsp: start("ocsp", upstream.OCSPURL)}
	p.Config = upstream
	p.Config.URL, p.Config.OCSPURL = "http://"+p.api.Listen, "http://"+p.ocsp.Listen
	return p
}

// authority is a CFSSL adapter that reaches the CA through the proxies, as
// an in-process station's issuer.
func (p *caProxy) authority() *cfssl.Authority {
	p.t.Helper()
	a, err := cfssl.New(p.Config)
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { _ = a.Close() })
	return a
}

// cut kills the CA as its clients see it: both ports closed.
func (p *caProxy) cut() {
	p.api.Stop()
	p.ocsp.Stop()
}

// restore brings the CA back on the same addresses.
func (p *caProxy) restore() {
	p.t.Helper()
	for _, proxy := range []*toxiproxy.Proxy{p.api, p.ocsp} {
		if err := proxy.Start(); err != nil {
			p.t.Fatalf("restore the CA proxy on %s: %v", proxy.Listen, err)
		}
	}
}

// cutOn arms the proxy: the first API request whose bytes hold pattern
// (a path such as "/api/v1/cfssl/revoke", or a body field such as
// `"profile":"card-sign"`) never reaches CFSSL, and the CA is cut on the
// spot, so that the outage begins at a known step of the production rather
// than at a moment a test hopes for. The channel is closed once the CA is
// cut. A trigger fires once; arm again for another outage.
func (p *caProxy) cutOn(pattern string) <-chan struct{} {
	p.t.Helper()
	id := fmt.Sprintf("%s-%d", p.api.Name, p.armed.Add(1))
	tr := &trigger{fired: make(chan struct{})}
	tr.fire = func() {
		p.cut()
		close(tr.fired)
	}
	triggers.Store(id, tr)
	p.t.Cleanup(func() { triggers.Delete(id) })
	body, err := json.Marshal(map[string]any{
		"name": id, "type": cutOnRequestType, "stream": "upstream",
		"attributes": cutOnRequest{Pattern: pattern, Trigger: id},
	})
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.api.Toxics.AddToxicJson(bytes.NewReader(body)); err != nil {
		p.t.Fatalf("arm the CA proxy on %q: %v", pattern, err)
	}
	return tr.fired
}

// waitCut waits until an armed trigger has cut the CA.
func waitCut(t *testing.T, fired <-chan struct{}, what string, within time.Duration) {
	t.Helper()
	select {
	case <-fired:
	case <-time.After(within):
		t.Fatalf("the CA was not cut at %s within %s", what, within)
	}
}

// cutOnRequestType is the toxic's registered type.
const cutOnRequestType = "cardflow_cut_on_request"

func init() { toxics.Register(cutOnRequestType, new(cutOnRequest)) }

// triggers maps a toxic's Trigger to what it does when it fires: toxiproxy
// builds toxics from JSON, so a function travels by name.
var triggers sync.Map // string -> *trigger

// trigger is one armed cut: fire cuts the CA, fired is closed once it has.
type trigger struct {
	once  sync.Once
	fired chan struct{}
	fire  func()
}

// pull fires the trigger, once, without waiting for it.
func (tr *trigger) pull() {
	tr.once.Do(func() { go tr.fire() }) // the proxy's Stop waits for this link
}

// done reports whether the trigger has fired.
func (tr *trigger) done() bool {
	select {
	case <-tr.fired:
		return true
	default:
		return false
	}
}

// cutOnRequest is a toxiproxy toxic on the client-to-CA stream: the chunk
// that holds Pattern is dropped, and so is the rest of its connection,
// while the trigger cuts the CA. Once the trigger has fired it passes
// everything.
type cutOnRequest struct {
	Pattern string `json:"pattern"`
	Trigger string `json:"trigger"`
}

// Pipe forwards the stream until the pattern shows up.
func (c *cutOnRequest) Pipe(stub *toxics.ToxicStub) {
	var tr *trigger
	if v, ok := triggers.Load(c.Trigger); ok {
		tr = v.(*trigger)
	}
	pattern := []byte(c.Pattern)
	var tail []byte // the end of the previous chunk: a pattern split in two still counts
	dropping := false
	for {
		select {
		case <-stub.Interrupt:
			return
		case chunk := <-stub.Input:
			if chunk == nil {
				stub.Close()
				return
			}
			seen := append(tail, chunk.Data...)
			if !dropping && tr != nil && !tr.done() && bytes.Contains(seen, pattern) {
				dropping = true
				tr.pull()
			}
			tail = append([]byte(nil), seen[max(0, len(seen)-len(pattern)+1):]...)
			if dropping {
				continue
			}
			stub.Output <- chunk
		}
	}
}
