package faults

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/cardflow/cardflow/internal/logging"
	"github.com/cardflow/cardflow/internal/testkit"
)

// devServer is a Temporal dev server on fixed ports with its state in a
// file, so that it can be stopped and started again and find its workflows.
type devServer struct {
	dbFile string
	// ports: frontend, HTTP API, UI (headless, but reserved), metrics.
	port, httpPort, metricsPort int

	mu  sync.Mutex
	cmd *exec.Cmd
	log testkit.Buffer
}

// Address is the frontend's host:port.
func (d *devServer) Address() string { return "127.0.0.1:" + strconv.Itoa(d.port) }

// newDevServer makes a dev server for one test, with its state in the
// test's directory, on ports of its own; it is stopped when the test ends.
func newDevServer(t *testing.T) *devServer {
	t.Helper()
	testkit.Integration(t)
	ports := make([]int, 3)
	for i, addr := range testkit.FreeAddrs(t, len(ports)) {
		_, port, _ := net.SplitHostPort(addr)
		ports[i], _ = strconv.Atoi(port)
	}
	d := &devServer{dbFile: filepath.Join(t.TempDir(), "temporal.db"), port: ports[0], httpPort: ports[1], metricsPort: ports[2]}
	t.Cleanup(func() { d.stop(context.Background()) })
	return d
}

// start runs the server and returns once it answers a health check.
func (d *devServer) start(t *testing.T, within time.Duration) {
	t.Helper()
	cli := testkit.Bin(t, "temporal")
	d.mu.Lock()
	args := append([]string{"server", "start-dev",
		"--db-filename", d.dbFile, "--ip", "127.0.0.1",
		"--port", strconv.Itoa(d.port), "--http-port", strconv.Itoa(d.httpPort), "--metrics-port", strconv.Itoa(d.metricsPort),
		"--headless", "--log-level", "error"}, testkit.SearchAttributeFlags...)
	cmd := exec.Command(cli, args...)
	cmd.Stdout, cmd.Stderr = &d.log, &d.log
	err := cmd.Start()
	if err == nil {
		d.cmd = cmd
	}
	d.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, within, func() (bool, string) {
		err := d.healthy()
		return err == nil, fmt.Sprintf("dev server on %s not healthy: %v\n%s", d.Address(), err, d.output())
	})
}

func (d *devServer) healthy() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: d.Address(), Logger: logging.Discard})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

// stop ends the server the way a service manager would (SIGTERM), waiting
// for it to exit.
func (d *devServer) stop(ctx context.Context) {
	d.mu.Lock()
	cmd := d.cmd
	d.cmd = nil
	d.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-exited
	}
}

func (d *devServer) output() string { return d.log.String() }
