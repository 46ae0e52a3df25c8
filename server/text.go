package server

// truncate shortens client-supplied text quoted back in an ERROR frame.
func truncate(s string) string {
	if len(s) > 128 {
		return s[:128] + "..."
	}
	return s
}
