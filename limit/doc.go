// Package limit holds the budgets that every endpoint shares: how many
// connections the process and each client IP address may hold
// ([Conns], enforced by [Listener] before a connection costs more than its
// file descriptor), and a rate-limited warning ([Warner]) so that a flood of
// refusals is logged, not the log flooded.
//
// Everything in this package is safe for concurrent use.
package limit
