package metrics_test

import (
	"context"
	"fmt"

	"github.com/stompbox/stompbox/history"
	"github.com/stompbox/stompbox/metrics"
)

// A history store timed: each call is one sample of
// stompbox_history_duration_seconds, labelled by operation and outcome.
func ExampleTimeStore() {
	store := metrics.TimeStore(history.NewMemory(history.MemoryConfig{}))
	defer store.Close()
	reg := metrics.NewRegistry()
	reg.MustRegister(store)

	ctx := context.Background()
	store.Append(ctx, history.Message{Room: "lobby", Name: "ann", Content: "hi"})
	store.Messages(ctx, "lobby", history.Query{Limit: -1}) // refused: a negative limit

	fams, _ := reg.Gather()
	for _, f := range fams {
		if f.GetName() != "stompbox_history_duration_seconds" {
			continue
		}
		for _, m := range f.Metric {
			if n := m.Histogram.GetSampleCount(); n > 0 {
				fmt.Println(m.Label[0].GetValue(), m.Label[1].GetValue(), n)
			}
		}
	}
	// Output:
	// append ok 1
	// messages refused 1
}
