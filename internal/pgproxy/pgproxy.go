// Package pgproxy is a TCP proxy in front of PostgreSQL for tests that
// loses the answer of a chosen statement after it committed: it lets the
// statement run to its end (the transaction commits when the server
// answers ReadyForQuery), drops the server's answer, and closes the
// client's connection, with a FIN as a failover or a pooler does, or with
// a reset. A plain TCP proxy (toxiproxy) can cut a connection but cannot
// tell where in the protocol it is, so it cannot hit "committed, answer
// not delivered" on purpose.
//
// It reads the protocol's framing only (a type byte and a length): the
// client's Parse, Bind and Query messages to recognise the statement (a
// prepared statement by the name its Parse gave it), the server's
// BindComplete and ReadyForQuery to know where its answer starts and ends.
package pgproxy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Cut is how the client's connection ends once the answer is dropped.
type Cut int

const (
	// Close ends it with a FIN: the client reads EOF. lib/pq turns that into
	// driver.ErrBadConn, and database/sql runs the statement again on
	// another connection, without telling the caller.
	Close Cut = iota
	// Reset ends it with a TCP reset: the client gets "connection reset by
	// peer".
	Reset
)

// Proxy forwards connections to a PostgreSQL server until the test ends.
type Proxy struct {
	// Addr is the proxy's host:port.
	Addr string

	upstream string
	mu       sync.Mutex
	rules    []*rule
	cuts     int
}

type rule struct {
	match string
	times int
	cut   Cut
}

// Start proxies to the server at upstream (host:port).
func Start(t testing.TB, upstream string) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: l.Addr().String(), upstream: upstream}
	var wg sync.WaitGroup
	var conns sync.Map
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Store(c, true)
			wg.Go(func() {
				defer conns.Delete(c)
				p.serve(c)
			})
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		conns.Range(func(c, _ any) bool { _ = c.(net.Conn).Close(); return true })
		wg.Wait()
	})
	return p
}

// For starts a proxy in front of the server of databaseURL and returns the
// proxy and the URL that reaches the same database through it.
func For(t testing.TB, databaseURL string) (*Proxy, string) {
	t.Helper()
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "5432")
	}
	p := Start(t, host)
	u.Host = p.Addr
	return p, u.String()
}

// LoseAnswer arms the proxy: the next times statements whose text contains
// match run and commit, then their answer is dropped and the client's
// connection ends as cut says.
func (p *Proxy) LoseAnswer(match string, times int, cut Cut) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, &rule{match: match, times: times, cut: cut})
}

// Cuts is how many answers were lost so far.
func (p *Proxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

// take reports whether the statement text is armed, and how to cut it.
func (p *Proxy) take(text string) (Cut, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.rules {
		if r.times > 0 && strings.Contains(text, r.match) {
			r.times--
			return r.cut, true
		}
	}
	return 0, false
}

// doom is one connection's pending cut, set by the client side when it
// forwards an armed statement and carried out by the server side.
type doom struct {
	mu sync.Mutex
	// armed: the armed statement went upstream; afterBind: its answer
	// starts at BindComplete (extended protocol), else at once (simple).
	armed, afterBind, dropping bool
	cut                        Cut
	// rawBytes are single-byte answers to SSLRequest/GSSENCRequest that
	// the server sends outside the message framing.
	rawBytes int
}

func (p *Proxy) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	defer server.Close()
	d := &doom{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.clientToServer(client, server, d)
		_ = server.Close()
	}()
	p.serverToClient(server, client, d)
	_ = client.Close()
	<-done
}

// clientToServer forwards the client's messages, arming d when one is an
// armed statement.
func (p *Proxy) clientToServer(client, server net.Conn, d *doom) {
	in := bufio.NewReader(client)
	// Untyped messages come first: SSLRequest/GSSENCRequest (answered by
	// one raw byte) and the StartupMessage.
	for {
		msg, err := readUntyped(in)
		if err != nil {
			return
		}
		code := binary.BigEndian.Uint32(msg[4:8])
		special := code == 80877103 || code == 80877104
		if special {
			d.mu.Lock()
			d.rawBytes++
			d.mu.Unlock()
		}
		if _, err := server.Write(msg); err != nil {
			return
		}
		if !special {
			break
		}
	}
	// prepared are the connection's named statements: a prepared
	// statement's text crosses once, in its Parse; each execution names
	// it in a Bind.
	prepared := map[string]string{}
	for {
		typ, msg, err := readTyped(in)
		if err != nil {
			return
		}
		if text, ok := statementRun(typ, msg[5:], prepared); ok {
			if cut, ok := p.take(text); ok {
				d.mu.Lock()
				d.armed, d.afterBind, d.cut = true, typ != 'Q', cut
				d.mu.Unlock()
			}
		}
		if _, err := server.Write(msg); err != nil {
			return
		}
	}
}

// statementRun reports the text of the statement a client message runs,
// if it runs one: a simple Query; the Parse of an unnamed statement, which
// its Bind follows at once; or the Bind of a named (prepared) statement,
// whose text an earlier Parse on the connection recorded in prepared. A
// named statement's own Parse only prepares it and runs nothing.
func statementRun(typ byte, body []byte, prepared map[string]string) (string, bool) {
	name, rest, ok := cstring(body)
	switch {
	case !ok:
		return "", false
	case typ == 'Q':
		return name, true
	case typ == 'P':
		text, _, _ := cstring(rest)
		if name != "" {
			prepared[name] = text
			return "", false
		}
		return text, true
	case typ == 'B':
		// Bind: the portal's name, then the statement's.
		stmt, _, ok := cstring(rest)
		if !ok || stmt == "" {
			return "", false
		}
		text, known := prepared[stmt]
		return text, known
	}
	return "", false
}

// cstring splits a NUL-terminated string off the front of b.
func cstring(b []byte) (s string, rest []byte, ok bool) {
	i := indexZero(b)
	if i < 0 {
		return "", b, false
	}
	return string(b[:i]), b[i+1:], true
}

// serverToClient forwards the server's messages, dropping the armed
// statement's answer and then ending the client's connection.
func (p *Proxy) serverToClient(server, client net.Conn, d *doom) {
	in := bufio.NewReader(server)
	for {
		d.mu.Lock()
		raw := d.rawBytes > 0
		if raw {
			d.rawBytes--
		}
		d.mu.Unlock()
		if raw {
			b, err := in.ReadByte()
			if err != nil {
				return
			}
			if _, err := client.Write([]byte{b}); err != nil {
				return
			}
			continue
		}
		typ, msg, err := readTyped(in)
		if err != nil {
			return
		}
		d.mu.Lock()
		if d.armed && !d.dropping && (!d.afterBind || typ == '2') {
			d.dropping = true
		}
		dropping, cut := d.dropping, d.cut
		d.mu.Unlock()
		if !dropping {
			if _, err := client.Write(msg); err != nil {
				return
			}
			continue
		}
		if typ == 'Z' {
			// ReadyForQuery: the statement's transaction has ended
			// (committed, unless it failed). The answer is gone; so is
			// the connection.
			p.mu.Lock()
			p.cuts++
			p.mu.Unlock()
			if tcp, ok := client.(*net.TCPConn); ok && cut == Reset {
				_ = tcp.SetLinger(0)
			}
			return
		}
	}
}

func readUntyped(r *bufio.Reader) ([]byte, error) {
	head := make([]byte, 4)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(head)
	if n < 8 || n > 1<<20 {
		return nil, errors.New("pgproxy: bad startup message length")
	}
	msg := make([]byte, n)
	copy(msg, head)
	_, err := io.ReadFull(r, msg[4:])
	return msg, err
}

// readTyped reads one message: its type byte, and the whole message as
// it is on the wire.
func readTyped(r *bufio.Reader) (byte, []byte, error) {
	head := make([]byte, 5)
	if _, err := io.ReadFull(r, head); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n < 4 || n > 1<<30 {
		return 0, nil, errors.New("pgproxy: bad message length")
	}
	msg := make([]byte, 1+n)
	copy(msg, head)
	_, err := io.ReadFull(r, msg[5:])
	return head[0], msg, err
}

func indexZero(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}
