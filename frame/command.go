package frame

// Commands, spelled as the STOMP specification spells them.
const (
	// Client frames.
	CONNECT     = "CONNECT"
	STOMP       = "STOMP"
	SEND        = "SEND"
	SUBSCRIBE   = "SUBSCRIBE"
	UNSUBSCRIBE = "UNSUBSCRIBE"
	ACK         = "ACK"
	NACK        = "NACK"
	BEGIN       = "BEGIN"
	COMMIT      = "COMMIT"
	ABORT       = "ABORT"
	DISCONNECT  = "DISCONNECT"

	// Server frames.
	CONNECTED = "CONNECTED"
	MESSAGE   = "MESSAGE"
	RECEIPT   = "RECEIPT"
	ERROR     = "ERROR"
)

// maxCommandLen is the length of the longest command, UNSUBSCRIBE; a longer
// command line cannot name a command.
const maxCommandLen = len(UNSUBSCRIBE)

// lookupCommand returns the command constant spelled by b, without
// allocating, or "" when b names no STOMP command.
func lookupCommand(b []byte) string {
	switch string(b) {
	case CONNECT:
		return CONNECT
	case STOMP:
		return STOMP
	case SEND:
		return SEND
	case SUBSCRIBE:
		return SUBSCRIBE
	case UNSUBSCRIBE:
		return UNSUBSCRIBE
	case ACK:
		return ACK
	case NACK:
		return NACK
	case BEGIN:
		return BEGIN
	case COMMIT:
		return COMMIT
	case ABORT:
		return ABORT
	case DISCONNECT:
		return DISCONNECT
	case CONNECTED:
		return CONNECTED
	case MESSAGE:
		return MESSAGE
	case RECEIPT:
		return RECEIPT
	case ERROR:
		return ERROR
	}
	return ""
}

// escapes reports whether headers of frames with this command are escaped.
// CONNECT, STOMP and CONNECTED frames are never escaped, for backward
// compatibility with STOMP 1.0.
func escapes(command string) bool {
	return command != CONNECT && command != STOMP && command != CONNECTED
}
