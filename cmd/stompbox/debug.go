package main

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"runtime"
)

// debugHandler serves the profiler at /debug/pprof/, metrics (Prometheus)
// at /metrics and, at /debug/vars, a JSON snapshot: goroutines, heap
// figures and the counters stats returns (after a garbage collection with
// ?gc).
// It is for an operator on a private address (-debug-addr), never the
// public one.
func debugHandler(metrics http.Handler, stats func() map[string]any) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/vars", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("gc") {
			runtime.GC() // so heap figures count live memory, not garbage
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		v := stats()
		v["goroutines"] = runtime.NumGoroutine()
		v["memory"] = map[string]uint64{
			"heap_alloc": ms.HeapAlloc, "heap_inuse": ms.HeapInuse, "heap_sys": ms.HeapSys,
			"heap_released": ms.HeapReleased, "stack_inuse": ms.StackInuse, "next_gc": ms.NextGC,
			"sys": ms.Sys, "num_gc": uint64(ms.NumGC),
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(v)
	})
	return mux
}
