package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cpuGroups are the processes whose CPU time the report splits, to show where
// a batch's time goes on a machine where they all share the cores.
var cpuGroups = []string{"bench (worker, client)", "temporal server", "postgresql"}

// cpuSnapshot returns the CPU seconds (user+system) used so far by each group.
func cpuSnapshot() map[string]float64 {
	out := map[string]float64{}
	self := os.Getpid()
	ticks := 100.0 // USER_HZ on Linux
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		pid, _ := strconv.Atoi(filepath.Base(dir))
		cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(cmdline), "\x00", " ")
		group := ""
		switch {
		case pid == self:
			group = cpuGroups[0]
		case strings.Contains(cmd, "server start-dev") && parentPID(dir) == self:
			// Only the dev server this run started: other runs on a shared
			// machine may have their own.
			group = cpuGroups[1]
		case strings.HasPrefix(cmd, "postgres"):
			group = cpuGroups[2]
		default:
			continue
		}
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue
		}
		// Fields after the command name: utime is the 14th field, stime the 15th.
		rest := string(stat)[strings.LastIndexByte(string(stat), ')')+2:]
		f := strings.Fields(rest)
		if len(f) < 13 {
			continue
		}
		utime, _ := strconv.ParseFloat(f[11], 64)
		stime, _ := strconv.ParseFloat(f[12], 64)
		out[group] += (utime + stime) / ticks
	}
	return out
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
