package server

import (
	"github.com/stompbox/stompbox/frame"
)

// A transaction holds SEND, ACK and NACK frames until COMMIT.
type transaction struct {
	frames []*frame.Frame
	bytes  int
}

func txName(f *frame.Frame) (string, *ProtocolError) {
	tx, ok := f.Header.Lookup(frame.HdrTransaction)
	if !ok || len(tx) == 0 {
		return "", protoErr("missing transaction", "%s needs a transaction header", f.Command)
	}
	return string(tx), nil
}

func (s *session) onBegin(f *frame.Frame) *ProtocolError {
	name, perr := txName(f)
	if perr != nil {
		return perr
	}
	if _, dup := s.txs[name]; dup {
		return protoErr("duplicate transaction", "transaction %q is already open", truncate(name))
	}
	if max := s.srv.cfg.MaxTransactions; len(s.txs) >= max {
		return protoErr("too many transactions", "a session may hold %d open transactions (MaxTransactions)", max)
	}
	s.txs[name] = &transaction{}
	return nil
}

// hold keeps a SEND, ACK or NACK for its transaction's COMMIT, after the
// checks that can be made now.
func (s *session) hold(name []byte, f *frame.Frame) *ProtocolError {
	tx := s.txs[string(name)]
	if tx == nil {
		return protoErr("unknown transaction", "%s names transaction %q, which is not open", f.Command, truncate(string(name)))
	}
	switch f.Command {
	case frame.SEND:
		if _, perr := s.destination(f); perr != nil {
			return perr
		}
	default:
		if f.Command == frame.NACK && s.version() == frame.V1_0 {
			return protoErr("unexpected frame", "NACK is not part of STOMP 1.0")
		}
		n, raw, perr := s.ackID(f)
		if perr != nil {
			return perr
		}
		if _, ok := s.acks.take(n, true); !ok {
			return protoErr("unknown ack id", "%s names %q, which is not a message awaiting acknowledgement in this session", f.Command, truncate(string(raw)))
		}
	}
	size := len(f.Body)
	for _, h := range f.Header {
		size += len(h.Key) + len(h.Value)
	}
	if max := s.srv.cfg.MaxTransactionBytes; s.txBytes+size > max {
		return protoErr("transaction too large", "a session's open transactions may hold %d bytes (MaxTransactionBytes)", max)
	}
	held := f.Clone()
	held.Header = slicesDeleteKey(held.Header, frame.HdrTransaction)
	held.Header = slicesDeleteKey(held.Header, frame.HdrReceipt) // answered now, not at COMMIT
	tx.frames = append(tx.frames, held)
	tx.bytes += size
	s.txBytes += size
	return nil
}

func (s *session) onCommit(f *frame.Frame) *ProtocolError {
	tx, perr := s.endTx(f)
	if perr != nil {
		return perr
	}
	for _, held := range tx.frames {
		if perr := s.apply(held); perr != nil {
			return perr
		}
	}
	return nil
}

func (s *session) onAbort(f *frame.Frame) *ProtocolError {
	_, perr := s.endTx(f)
	return perr
}

// endTx closes the transaction a COMMIT or ABORT names and returns it.
func (s *session) endTx(f *frame.Frame) (*transaction, *ProtocolError) {
	name, perr := txName(f)
	if perr != nil {
		return nil, perr
	}
	tx := s.txs[name]
	if tx == nil {
		return nil, protoErr("unknown transaction", "%s names transaction %q, which is not open", f.Command, truncate(name))
	}
	delete(s.txs, name)
	s.txBytes -= tx.bytes
	return tx, nil
}

// slicesDeleteKey removes every field named key.
func slicesDeleteKey(h frame.Header, key string) frame.Header {
	out := h[:0]
	for _, f := range h {
		if string(f.Key) != key {
			out = append(out, f)
		}
	}
	return out
}
