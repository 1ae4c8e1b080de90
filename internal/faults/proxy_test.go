package faults

import (
	"net"
	"net/url"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/cardflow/cardflow/internal/testkit"
)

// dbProxy is a TCP proxy in front of PostgreSQL that the test cuts (every
// connection closed, new ones refused) and restores on the same port.
type dbProxy struct {
	proxy *toxiproxy.Proxy
}

// newDBProxy proxies the test server's PostgreSQL; it stops with the test.
func newDBProxy(t *testing.T) *dbProxy {
	t.Helper()
	u, err := url.Parse(testkit.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	upstream := u.Host
	if u.Port() == "" {
		upstream = net.JoinHostPort(u.Hostname(), "5432")
	}
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(server, "postgresql", "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatalf("start the PostgreSQL proxy: %v", err)
	}
	t.Cleanup(p.Stop)
	return &dbProxy{proxy: p}
}

// url returns databaseURL (a test database) reached through the proxy.
func (d *dbProxy) url(t *testing.T, databaseURL string) string {
	t.Helper()
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = d.proxy.Listen
	return u.String()
}

// cut closes every proxied connection and refuses new ones, as a database
// host that went away would.
func (d *dbProxy) cut() { d.proxy.Stop() }

// restore accepts connections again on the same address.
func (d *dbProxy) restore(t *testing.T) {
	t.Helper()
	if err := d.proxy.Start(); err != nil {
		t.Fatalf("restore the PostgreSQL proxy on %s: %v", d.proxy.Listen, err)
	}
}
