package faults

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/testkit"
)

// workerProc is the real worker binary running as a subprocess.
type workerProc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	// Log is the worker's stderr (JSON lines).
	Log *testkit.Buffer
	// probes is the base URL of /metrics, /healthz and /readyz.
	probes string
}

// startWorker runs the worker with the world's configuration against
// databaseURL and temporalAddress, plus env (NAME=value lines, such as the
// e-mail settings); it returns once the worker polls.
func (w *world) startWorker(name, databaseURL, temporalAddress string, env ...string) *workerProc {
	w.t.Helper()
	metrics := testkit.FreeAddr(w.t)
	cmd := exec.Command(testkit.WorkerBinary(w.t))
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+databaseURL,
		"TEMPORAL_ADDRESS="+temporalAddress,
		"TEMPORAL_NAMESPACE=default",
		"CARDS_TASK_QUEUE="+w.taskQueue,
		"CARDS_POLICY="+w.policyPath,
		"CARDS_METRICS_ADDRESS="+metrics,
		"CARDS_LOG_FORMAT=json",
		"CARDS_GRPC_COMPRESSION=none",
		"CARDS_CODEC_KEYS=none", // the faults are about outages, not payloads
	)
	cmd.Env = append(cmd.Env, env...)
	p := &workerProc{t: w.t, name: name, cmd: cmd, exited: make(chan struct{}), Log: &testkit.Buffer{}, probes: "http://" + metrics}
	cmd.Stdout, cmd.Stderr = p.Log, p.Log
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("start worker %s: %v", name, err)
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	w.t.Cleanup(p.stop)
	// /healthz answers once the worker polls (the server starts after it).
	testkit.Eventually(w.t, 30*time.Second, func() (bool, string) {
		select {
		case <-p.exited:
			w.t.Fatalf("worker %s exited at start:\n%s", name, p.Log.String())
		default:
		}
		code, body := p.get("/healthz")
		return code == http.StatusOK, fmt.Sprintf("worker %s does not poll: /healthz %d %q\n%s", name, code, body, p.Log.String())
	})
	return p
}

// get fetches a probe path; code 0 when the worker does not answer.
func (p *workerProc) get(path string) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.probes+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// waitProbe waits until path answers code; it returns the body.
func (p *workerProc) waitProbe(path string, code int, within time.Duration) string {
	p.t.Helper()
	var body string
	testkit.Eventually(p.t, within, func() (bool, string) {
		var got int
		got, body = p.get(path)
		return got == code, fmt.Sprintf("worker %s %s answered %d %q, not %d", p.name, path, got, body, code)
	})
	return body
}

// metric returns the sum of the samples of a metric whose line contains
// every label in labels.
func (p *workerProc) metric(name string, labels ...string) float64 {
	p.t.Helper()
	code, body := p.get("/metrics")
	if code != http.StatusOK {
		p.t.Fatalf("worker %s /metrics: %d %s", p.name, code, body)
	}
	sum := 0.0
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err == nil {
			sum += v
		}
	}
	return sum
}

// kill ends the worker with SIGKILL: no draining, in-flight tasks lost.
func (p *workerProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// stop ends the worker as a service manager would, if it still runs.
func (p *workerProc) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		p.kill()
	}
}
