package chat

import "context"

// Crash stops the App's presence exchange the way a killed process does:
// without a word to the other nodes.
func (a *App) Crash() {
	a.killed.Store(true)
	close(a.stopNodes)
	<-a.nodesDone
	a.router.Broker.Unsubscribe(context.Background(), a.nodeSub)
}

// Kill stops the App's presence outbox at once, as a killed process's
// last message is the last one out.
func (a *App) Kill() { a.killed.Store(true) }
