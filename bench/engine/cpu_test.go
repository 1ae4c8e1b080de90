package engine

import "testing"

// The Temporal server's CPU is found for the dev server the bench starts,
// for scripts/temporal-server.sh's server by its name, and for any server
// by -server-pid; Mailpit by the pid the bench started.
func TestCPUGroups(t *testing.T) {
	external := cpuProcesses{self: 1, mailpit: 7}
	byPID := cpuProcesses{self: 1, serverPID: 42}
	dev := cpuProcesses{self: 1, devServer: true}
	for _, c := range []struct {
		name string
		p    cpuProcesses
		pid  int
		cmd  string
		want string
	}{
		{"the bench", external, 1, "/tmp/go-build/bench -n 10", cpuGroups[0]},
		{"source-built server by name", external, 9, "/work/main/bin/temporal-server --root .run/temporal-server --config config --env cardflow --allow-no-auth start", cpuGroups[1]},
		{"given pid", byPID, 42, "/usr/local/bin/temporal server start-dev", cpuGroups[1]},
		{"another server than the given pid", byPID, 9, "/work/main/bin/temporal-server start", ""},
		{"a source-built server beside the bench's dev server", dev, 9, "/work/main/bin/temporal-server start", ""},
		{"postgres backend", external, 5, "postgres: 15/main: postgres cardflow_bench_x 127.0.0.1(5000) idle", cpuGroups[2]},
		{"mailpit", external, 7, "bin/mailpit --smtp 127.0.0.1:1 --listen 127.0.0.1:2", cpuGroups[3]},
		{"another mailpit", external, 8, "bin/mailpit --smtp 127.0.0.1:1025", ""},
	} {
		if got := c.p.group(c.pid, "/nonexistent", c.cmd); got != c.want {
			t.Errorf("%s: group %q, want %q", c.name, got, c.want)
		}
	}
}
