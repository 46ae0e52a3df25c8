// Package stomptest is a small STOMP client for tests, over TCP or
// WebSocket, built on the frame package. It fails the test on unexpected
// errors and bounds every wait.
package stomptest
