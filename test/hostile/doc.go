// Package hostile is the hostile-load suite: each test starts the real
// bin/stompbox, keeps a bystander chatting over WebSocket, attacks the
// server on loopback (slowloris, connection floods, WebSocket edge cases,
// queue floods, stuck and slow consumers, pattern floods, SSE floods), and
// then checks that the bystander lost nothing and that the server's memory,
// goroutines and file descriptors came back near their baseline.
//
// It runs only when STOMPBOX_HOSTILE=1 (make hostile sets it, and make test
// runs make hostile); HOSTILE_SCALE multiplies counts and durations (make
// soak uses 10). Each case appends a row to test-results/hostile.md.
package hostile
