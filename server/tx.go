package server

import (
	"strings"

	"github.com/stompbox/stompbox/broker"
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
		return protoErr("duplicate transaction", "transaction %q is already open", frame.Truncate(name))
	}
	if max := s.srv.cfg.MaxTransactions; len(s.txs) >= max {
		return protoErr("too many transactions", "a session may hold %d open transactions (MaxTransactions)", max)
	}
	if s.txs == nil {
		s.txs = make(map[string]*transaction) // at the first: most sessions never begin one
	}
	s.txs[name] = &transaction{}
	return nil
}

// hold keeps a SEND, ACK or NACK for its transaction's COMMIT, after the
// checks that can be made now.
func (s *session) hold(name []byte, f *frame.Frame) *ProtocolError {
	tx := s.txs[string(name)]
	if tx == nil {
		return protoErr("unknown transaction", "%s names transaction %q, which is not open", f.Command, frame.Truncate(string(name)))
	}
	switch f.Command {
	case frame.SEND:
		dest, perr := s.sendDestination(f)
		if perr != nil {
			return perr
		}
		if !broker.ValidDestination(dest) && !strings.HasPrefix(dest, UserPrefix+"/") {
			return protoErr("not in a transaction", "a transaction may send to /topic/, /queue/ and /user/ destinations, whose delivery can wait for COMMIT; %q belongs to the application, whose effects could not be undone", frame.Truncate(dest))
		}
	default:
		if f.Command == frame.NACK && s.version() == frame.V1_0 {
			return protoErr("unexpected frame", "NACK is not part of STOMP 1.0")
		}
		if perr := s.checkPending(f); perr != nil {
			return perr
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

// onCommit applies a transaction all or nothing: every ACK and NACK must
// still name a pending message and every SEND a reachable destination, and
// the broker must take every message (within its budgets) as one batch;
// otherwise the ERROR says why and nothing of the transaction took effect.
func (s *session) onCommit(f *frame.Frame) *ProtocolError {
	tx, perr := s.endTx(f)
	if perr != nil {
		return perr
	}
	var ms []*broker.Message
	for _, held := range tx.frames {
		if held.Command != frame.SEND {
			if perr := s.checkPending(held); perr != nil {
				return perr
			}
			continue
		}
		dest := held.Header.Get(frame.HdrDestination)
		routed, perr := s.route(broker.NewMessage(dest, held.Header, held.Body), true)
		if perr != nil {
			return perr
		}
		ms = append(ms, routed...)
	}
	if err := s.publishBatch(ms); err != nil {
		return s.publishError(err, "the transaction's destinations")
	}
	for _, held := range tx.frames {
		if held.Command != frame.SEND {
			// Checked above, and only this goroutine settles: an error here
			// means an earlier frame of this transaction settled the same
			// message (a repeated ACK, or a cumulative one), which is fine.
			s.apply(held)
		}
	}
	return nil
}

// checkPending fails an ACK or NACK whose message is no longer pending.
func (s *session) checkPending(f *frame.Frame) *ProtocolError {
	n, raw, perr := s.ackID(f)
	if perr != nil {
		return perr
	}
	if _, _, ok := s.acks.take(n, true); !ok {
		return protoErr("unknown ack id", "%s names %q, which is not a message awaiting acknowledgement in this session", f.Command, frame.Truncate(string(raw)))
	}
	return nil
}

// publishBatch publishes ms all or nothing when the broker can
// (broker.Batcher), else one by one.
func (s *session) publishBatch(ms []*broker.Message) error {
	if s.enterBroker() {
		defer s.leaveApp()
	}
	if b, ok := s.srv.cfg.Broker.(broker.Batcher); ok {
		return b.PublishAll(s.ctx, ms)
	}
	for _, m := range ms {
		if err := s.srv.cfg.Broker.Publish(s.ctx, m); err != nil {
			return err
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
		return nil, protoErr("unknown transaction", "%s names transaction %q, which is not open", f.Command, frame.Truncate(name))
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
