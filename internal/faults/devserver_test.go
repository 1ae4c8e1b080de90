package faults

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/cardflow/cardflow/internal/logging"
)

// devServer is a Temporal dev server on fixed ports with its state in a
// file, so that it can be stopped and started again and find its workflows.
type devServer struct {
	dbFile string
	// ports: frontend, HTTP API, UI (headless, but reserved), metrics.
	port, httpPort, metricsPort int

	mu  sync.Mutex
	cmd *exec.Cmd
	log syncBuffer
}

// Address is the frontend's host:port.
func (d *devServer) Address() string { return "127.0.0.1:" + strconv.Itoa(d.port) }

func newDevServer(dbFile string) (*devServer, error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	return &devServer{dbFile: dbFile, port: ports[0], httpPort: ports[1], metricsPort: ports[2]}, nil
}

// start runs the server and returns once it answers a health check.
func (d *devServer) start(within time.Duration) error {
	d.mu.Lock()
	cmd := exec.Command(temporalCLI, "server", "start-dev",
		"--db-filename", d.dbFile, "--ip", "127.0.0.1",
		"--port", strconv.Itoa(d.port), "--http-port", strconv.Itoa(d.httpPort), "--metrics-port", strconv.Itoa(d.metricsPort),
		"--headless", "--log-level", "error",
		"--search-attribute", "CardRequestState=Keyword",
		"--search-attribute", "CardUserId=Keyword",
		"--search-attribute", "CardType=Keyword",
	)
	cmd.Stdout, cmd.Stderr = &d.log, &d.log
	if err := cmd.Start(); err != nil {
		d.mu.Unlock()
		return err
	}
	d.cmd = cmd
	d.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		if err := d.healthy(ctx); err == nil {
			return nil
		} else if ctx.Err() != nil {
			return fmt.Errorf("dev server on %s not healthy within %s: %v\n%s", d.Address(), within, err, d.output())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (d *devServer) healthy(ctx context.Context) error {
	attempt, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := client.DialContext(attempt, client.Options{HostPort: d.Address(), Logger: logging.Discard})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.CheckHealth(attempt, &client.CheckHealthRequest{})
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

// freePorts returns n ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
