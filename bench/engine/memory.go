package engine

import (
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
)

// Memory is the bench process at one moment (the workers run in it), after
// two garbage collections (the second empties the sync.Pools the first only
// moved aside), so that the heap is what is live.
type Memory struct {
	RSSMiB  float64 `json:"rssMiB"`
	HeapMiB float64 `json:"heapMiB"`
	// StacksMiB is the goroutine stacks, outside the heap: a waiting
	// workflow in the sticky cache keeps a coroutine per handler.
	StacksMiB  float64 `json:"stacksMiB"`
	Goroutines int     `json:"goroutines"`
}

// MeasureMemory is the bench process now: what the workers in it hold.
func MeasureMemory() Memory {
	collect()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}}
	metrics.Read(s)
	return Memory{RSSMiB: rssMiB(), HeapMiB: mib(s[0].Value.Uint64()), StacksMiB: mib(s[1].Value.Uint64()), Goroutines: runtime.NumGoroutine()}
}

func mib(bytes uint64) float64 { return float64(bytes) / (1 << 20) }

// WriteHeapProfile writes a heap profile (go tool pprof -sample_index=inuse_space)
// after the garbage collections of MeasureMemory, so that it shows what is live.
func WriteHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	collect()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func collect() {
	runtime.GC()
	runtime.GC()
}

// rssMiB is this process's resident set.
func rssMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}
