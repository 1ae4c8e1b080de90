package engine

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cpuGroups are the processes whose CPU time the report splits, to show where
// a batch's time goes on a machine where they all share the cores. With the
// PostgreSQL-backed Temporal server, "postgresql" includes Temporal's own
// persistence and visibility queries; "cfssl" is the CA the bench starts
// for Issue card (its certificate store's queries are in "postgresql").
var cpuGroups = []string{"bench (workers, client)", "temporal server", "postgresql", "mailpit", "cfssl"}

// cpuProcesses says which processes belong to which group.
type cpuProcesses struct {
	self int
	// devServer: the dev server is the bench's child; another run's dev
	// server on a shared machine is not counted.
	devServer bool
	// serverPID is a Temporal server given by -server-pid; 0 with an
	// external server means every process named temporal-server
	// (scripts/temporal-server.sh's).
	serverPID int
	mailpit   int
}

func (e *Env) cpuProcesses() cpuProcesses {
	p := cpuProcesses{self: os.Getpid(), devServer: e.startedServer, serverPID: e.serverPID}
	if e.Mail != nil {
		p.mailpit = e.Mail.PID()
	}
	return p
}

// group returns the group of a process, or "".
func (p cpuProcesses) group(pid int, dir, cmd string) string {
	argv0 := filepath.Base(strings.SplitN(cmd, " ", 2)[0])
	switch {
	case pid == p.self:
		return cpuGroups[0]
	case p.devServer && strings.Contains(cmd, "server start-dev") && parentPID(dir) == p.self:
		return cpuGroups[1]
	case !p.devServer && p.serverPID > 0 && pid == p.serverPID:
		return cpuGroups[1]
	case !p.devServer && p.serverPID == 0 && argv0 == "temporal-server":
		return cpuGroups[1]
	case strings.HasPrefix(cmd, "postgres"):
		return cpuGroups[2]
	case p.mailpit > 0 && pid == p.mailpit:
		return cpuGroups[3]
	case argv0 == "cfssl" && parentPID(dir) == p.self:
		return cpuGroups[4]
	}
	return ""
}

// cpuSnapshot returns the CPU seconds (user+system) used so far by each
// group, and how many processes each group has (so that a server that was
// not found shows as such rather than as free).
func (p cpuProcesses) snapshot() (seconds map[string]float64, processes map[string]int) {
	seconds, processes = map[string]float64{}, map[string]int{}
	ticks := 100.0 // USER_HZ on Linux
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		pid, _ := strconv.Atoi(filepath.Base(dir))
		cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil {
			continue
		}
		group := p.group(pid, dir, strings.ReplaceAll(string(cmdline), "\x00", " "))
		if group == "" {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue
		}
		// The fields after the command name, from the 3rd (see proc(5)).
		rest := string(stat)[strings.LastIndexByte(string(stat), ')')+2:]
		f := strings.Fields(rest)
		if len(f) < 15 {
			continue
		}
		cpu := 0.0
		for _, i := range []int{11, 12} { // utime, stime
			v, _ := strconv.ParseFloat(f[i], 64)
			cpu += v
		}
		if group == cpuGroups[2] {
			// PostgreSQL's backends come and go: the postmaster's
			// cutime and cstime (16th and 17th fields) keep the CPU of
			// those that exited, so that it is not lost mid-batch.
			for _, i := range []int{13, 14} {
				v, _ := strconv.ParseFloat(f[i], 64)
				cpu += v
			}
		}
		seconds[group] += cpu / ticks
		processes[group]++
	}
	return seconds, processes
}

// cpuSeconds is the CPU time of each group so far.
func (p cpuProcesses) cpuSeconds() map[string]float64 {
	s, _ := p.snapshot()
	return s
}

// parentPID reads the parent process id from /proc/PID/stat (-1 if unknown).
func parentPID(dir string) int {
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return -1
	}
	f := strings.Fields(string(stat)[strings.LastIndexByte(string(stat), ')')+2:])
	if len(f) < 2 {
		return -1
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return -1
	}
	return ppid
}
