package cadev

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// ServeArgs are `cfssl serve`'s arguments: the signer with its
// certificate store, only the endpoints the adapter and OCSP need (sign,
// revoke, certinfo, ocspsign, crl, health). revoke and certinfo have no
// authentication in CFSSL: it listens on loopback only.
func ServeArgs(o Options) ([]string, error) {
	host, port, err := hostPort(o.URL)
	if err != nil {
		return nil, err
	}
	return []string{"serve", "-address", host, "-port", port,
		"-ca", o.path("ca.pem"), "-ca-key", o.path("ca-key.pem"), "-config", o.path("ca-config.json"),
		"-db-config", o.path("certdb.json"), "-responder", o.path("ocsp.pem"), "-responder-key", o.path("ocsp-key.pem"),
		"-disable", "scan,scaninfo,bundle,init_ca,newkey,gencrl,certadd", "-loglevel", "2"}, nil
}

// OCSPServeArgs are `cfssl ocspserve`'s arguments: OCSP answered from the
// responses stored in the certificate store.
func OCSPServeArgs(o Options) ([]string, error) {
	host, port, err := hostPort(o.OCSPURL)
	if err != nil {
		return nil, err
	}
	return []string{"ocspserve", "-address", host, "-port", port, "-db-config", o.path("certdb.json"), "-loglevel", "2"}, nil
}

// Server is the two CFSSL processes, started by Start, logging into Dir.
type Server struct {
	procs []proc
}

type proc struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start runs `cfssl serve` and `cfssl ocspserve` (after Prepare) and
// returns once both answer, their output in Dir/serve.log and
// Dir/ocspserve.log.
func Start(ctx context.Context, o Options) (*Server, error) {
	s := &Server{}
	for _, p := range []struct {
		name string
		args func(Options) ([]string, error)
		url  string
	}{{"serve", ServeArgs, o.URL + "/api/v1/cfssl/health"}, {"ocspserve", OCSPServeArgs, o.OCSPURL}} {
		args, err := p.args(o)
		if err == nil {
			err = s.start(ctx, o, p.name, args, p.url)
		}
		if err != nil {
			s.Stop()
			return nil, err
		}
	}
	return s, nil
}

func (s *Server) start(ctx context.Context, o Options, name string, args []string, probe string) error {
	logFile, err := os.OpenFile(o.path(name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(o.Bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start cfssl %s: %w", name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.procs = append(s.procs, proc{cmd, exited})
	deadline := time.Now().Add(30 * time.Second)
	for !Answers(ctx, probe) {
		select {
		case <-exited:
			return fmt.Errorf("cfssl %s exited at start: %s", name, tail(o.path(name+".log")))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cfssl %s did not answer at %s within 30s: %s", name, probe, tail(o.path(name+".log")))
		}
	}
	return nil
}

// Answers reports whether an HTTP server answers at url (any status: the
// OCSP responder answers a GET without a request with 400).
func Answers(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode < 500
}

// Stop ends both processes.
func (s *Server) Stop() {
	for _, p := range s.procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range s.procs {
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}
	s.procs = nil
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}
