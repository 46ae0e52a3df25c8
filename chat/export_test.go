package chat

import "context"

// Crash stops the App's presence exchange the way a killed process does:
// without a word to the other nodes.
func (a *App) Crash() {
	close(a.stopNodes)
	<-a.nodesDone
	a.router.Broker.Unsubscribe(context.Background(), a.nodeSub)
}
