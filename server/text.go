package server

import "strconv"

func itoa(n int) string { return strconv.Itoa(n) }

// truncate shortens client-supplied text quoted back in an ERROR frame.
func truncate(s string) string {
	if len(s) > 128 {
		return s[:128] + "..."
	}
	return s
}
