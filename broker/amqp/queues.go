package amqp

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
)

// A /queue/ destination (other than a session's private one) is a durable
// RabbitMQ queue that every node shares. A node publishes to it with a
// publisher confirm, and while it has local subscribers to it, consumes it
// once (one AMQP consumer per destination, QueuePrefetch messages
// unacknowledged at most) and hands what arrives to its local queue, which
// gives each message to one local subscriber with room, as on one node.
// The message is acknowledged to RabbitMQ only when the STOMP client ACKs
// it (or, for ack:auto, once it is written to the socket); a NACK, or a
// session that ends holding it, returns it to RabbitMQ, which may give it
// to another node. A node that dies leaves its unacknowledged messages to
// RabbitMQ, which redelivers them to the other nodes' consumers.

// qdest is one queue destination this node subscribes to.
type qdest struct {
	refs int           // local subscriptions
	link *link         // the link it consumes on, nil while it does not
	tag  string        // its consumer tag on link
	done chan struct{} // closed when its consume loop ends
}

// upstream is a queue message's handle on the channel it came on.
type upstream struct {
	b       *Broker
	ch      *amqp.Channel
	tag     uint64
	settled atomic.Bool
}

// Ack implements broker.Upstream. On a channel that has gone (the link
// was lost) it does nothing: RabbitMQ has taken the message back and will
// deliver it again, marked redelivered.
func (u *upstream) Ack() {
	if u.settled.CompareAndSwap(false, true) {
		if u.ch.Ack(u.tag, false) != nil {
			u.b.lateAcks.Add(1)
		}
	}
}

// nack gives the message back to RabbitMQ, to this or another node.
func (u *upstream) nack() {
	if u.settled.CompareAndSwap(false, true) {
		_ = u.ch.Nack(u.tag, false, true)
	}
}

func isQueue(d string) bool {
	return strings.HasPrefix(d, broker.QueuePrefix) && !broker.IsPrivate(d)
}

// queueName is the RabbitMQ queue of destination d: "stompbox:" and the
// destination, or its hash when that would pass AMQP's 255 bytes.
func queueName(d string) string {
	const prefix = "stompbox:"
	if len(prefix)+len(d) <= 255 {
		return prefix + d
	}
	sum := sha256.Sum256([]byte(d))
	return prefix + "h:" + hex.EncodeToString(sum[:])
}

// declare makes sure queue d exists on RabbitMQ, declared once per link.
// It runs on a channel of its own, so a refusal (a queue of that name
// declared with other arguments, or a vhost's max-queues limit) costs
// only this declaration: the channel is opened again for the next one.
func (b *Broker) declare(l *link, d string) error {
	l.dmu.Lock()
	defer l.dmu.Unlock()
	if l.declared[d] {
		return nil
	}
	open := func() error {
		if l.decl != nil && !l.decl.IsClosed() {
			return nil
		}
		ch, err := l.conn.Channel()
		if err != nil {
			return fmt.Errorf("%w: %v", broker.ErrUnavailable, err)
		}
		l.decl = ch
		return nil
	}
	if err := open(); err != nil {
		return err
	}
	name := queueName(d)
	_, err := l.decl.QueueDeclare(name, true, false, false, false, amqp.Table{
		"x-max-length":       int64(b.cfg.QueueMaxLength),
		"x-max-length-bytes": b.cfg.QueueMaxBytes,
		"x-overflow":         "reject-publish",
	})
	var aerr *amqp.Error
	if errors.As(err, &aerr) && aerr.Code == amqp.PreconditionFailed {
		// Declared before with other limits (an operator changed them):
		// use it as it is.
		if err = open(); err == nil {
			_, err = l.decl.QueueDeclarePassive(name, true, false, false, false, nil)
		}
	}
	if err != nil {
		if errors.Is(err, broker.ErrUnavailable) || l.conn.IsClosed() {
			return fmt.Errorf("%w: %v", broker.ErrUnavailable, err)
		}
		return fmt.Errorf("%w: RabbitMQ refused queue %s: %v", broker.ErrBadDestination, frame.Truncate(d), err)
	}
	if len(l.declared) >= b.cfg.MaxQueueConsumers {
		clear(l.declared) // declared again when next used
	}
	l.declared[d] = true
	return nil
}

// subscribeQueue counts one more local subscription of queue d and
// starts consuming it on the first.
func (b *Broker) subscribeQueue(d string) error {
	b.qmu.Lock()
	defer b.qmu.Unlock()
	q := b.queues[d]
	if q == nil {
		if len(b.queues) >= b.cfg.MaxQueueConsumers {
			return fmt.Errorf("%w: this node consumes %d RabbitMQ queues (MaxQueueConsumers)", broker.ErrTooManyDestinations, b.cfg.MaxQueueConsumers)
		}
		q = &qdest{}
		b.queues[d] = q
		b.nqueues.Add(1)
	}
	q.refs++
	if l := b.current(); l != nil && q.link != l {
		b.detach(d, q)
		if err := b.consumeQueue(l, d, q); err != nil {
			if q.refs--; q.refs == 0 {
				delete(b.queues, d)
				b.nqueues.Add(-1)
			}
			return err
		}
	}
	return nil
}

// consumeQueue starts consuming d on l. b.qmu must be held.
func (b *Broker) consumeQueue(l *link, d string, q *qdest) error {
	if err := b.declare(l, d); err != nil {
		return err
	}
	var id [8]byte
	crand.Read(id[:])
	tag := "stompbox-" + hex.EncodeToString(id[:])
	deliveries, err := l.qch.Consume(queueName(d), tag, false, false, false, false, nil)
	if err != nil {
		b.broken(l, "consume", err)
		return fmt.Errorf("%w: consume %s: %v", broker.ErrUnavailable, frame.Truncate(d), err)
	}
	q.link, q.tag, q.done = l, tag, make(chan struct{})
	b.wg.Add(1)
	go b.consumeLoop(l, d, tag, deliveries, q.done)
	return nil
}

// reconsume consumes d again after RabbitMQ cancelled its consumer (the
// queue was deleted): it declares the queue anew. It does nothing if the
// node stopped consuming d itself, or lost the link (resumeQueues follows).
func (b *Broker) reconsume(l *link, d, tag string) {
	defer b.wg.Done()
	b.qmu.Lock()
	defer b.qmu.Unlock()
	q := b.queues[d]
	if q == nil || q.link != l || q.tag != tag || b.current() != l {
		return
	}
	b.log.Warn("broker/amqp: RabbitMQ cancelled a queue's consumer; declaring and consuming it again", "dest", d)
	q.link, q.tag, q.done = nil, "", nil
	b.undeclare(l, d)
	if err := b.consumeQueue(l, d, q); err != nil {
		b.log.Warn("broker/amqp: could not consume a queue again", "dest", d, "err", err)
	}
}

// consumeLoop hands queue d's deliveries to the local queue, each with
// its upstream handle. A delivery the local queue cannot take (its byte
// budget is spent) goes back to RabbitMQ; the loop then pauses, so a full
// node does not spin on redeliveries.
//
// The deliveries end when the node cancels the consumer, when the link is
// lost, or when RabbitMQ cancels it; reconsume tells them apart.
func (b *Broker) consumeLoop(l *link, d, tag string, deliveries <-chan amqp.Delivery, done chan struct{}) {
	defer b.wg.Done()
	defer func() {
		close(done)
		b.wg.Add(1)
		go b.reconsume(l, d, tag)
	}()
	for dv := range deliveries {
		m := broker.NewMessage(d, headersOf(dv), dv.Body)
		m.Redelivered = dv.Redelivered
		u := &upstream{b: b, ch: l.qch, tag: dv.DeliveryTag}
		m.Upstream = u
		if err := b.local.Publish(context.Background(), m); err != nil {
			u.nack()
			b.log.Warn("broker/amqp: a queue message was returned to RabbitMQ", "dest", d, "err", err)
			select {
			case <-time.After(100 * time.Millisecond):
			case <-b.done:
			}
		}
	}
}

// unsubscribeQueue counts one less local subscription of d; on the last,
// the node stops consuming it and returns to RabbitMQ what its local
// queue still holds of it.
func (b *Broker) unsubscribeQueue(d string) {
	b.qmu.Lock()
	defer b.qmu.Unlock()
	q := b.queues[d]
	if q == nil {
		return
	}
	if q.refs--; q.refs > 0 {
		return
	}
	delete(b.queues, d)
	b.nqueues.Add(-1)
	if q.link != nil {
		if err := q.link.qch.Cancel(q.tag, false); err != nil {
			q.link.conn.Close() // the consume loop ends with the link
		}
		<-q.done
	}
	for _, m := range b.local.TakeHeld(d, fromUpstream) {
		m.Upstream.(*upstream).nack()
	}
}

func fromUpstream(m *broker.Message) bool {
	_, ok := m.Upstream.(*upstream)
	return ok
}

// resumeQueues consumes, on a new link l, every queue this node has
// subscribers for.
func (b *Broker) resumeQueues(l *link) {
	b.qmu.Lock()
	defer b.qmu.Unlock()
	for d, q := range b.queues {
		if q.link == l {
			continue
		}
		b.detach(d, q)
		if err := b.consumeQueue(l, d, q); err != nil {
			b.log.Warn("broker/amqp: could not consume a queue after reconnecting", "dest", d, "err", err)
		}
	}
}

// forgetQueues drops, once link l is lost, what the local queues hold of
// its deliveries: RabbitMQ has taken them back and will deliver them again.
// Messages already given to sessions stay with them; their ACKs are lost
// with the channel, so those are delivered again too (at least once).
func (b *Broker) forgetQueues(l *link) {
	b.qmu.Lock()
	defer b.qmu.Unlock()
	for d, q := range b.queues {
		if q.link == l {
			b.detach(d, q)
		}
	}
}

// detach ends q's consuming on its link, which is gone, once its consume
// loop has ended, and drops the deliveries of that link the local queue
// still holds. b.qmu must be held.
func (b *Broker) detach(d string, q *qdest) {
	if q.link == nil {
		return
	}
	old := q.link
	old.conn.Close() // a no-op on a lost link; the consume loop ends with it
	<-q.done
	q.link, q.tag, q.done = nil, "", nil
	dropped := b.local.TakeHeld(d, func(m *broker.Message) bool {
		u, ok := m.Upstream.(*upstream)
		return ok && u.ch == old.qch
	})
	b.forgotten.Add(int64(len(dropped)))
}

// publishQueue sends m to its RabbitMQ queue, declared first if need be,
// persistent and mandatory, and waits for RabbitMQ's confirm: a queue at
// its limits (x-max-length, x-max-length-bytes) refuses it with
// ErrQueueFull. A queue deleted behind the node's back returns the
// message; it is declared again and the message sent once more.
func (b *Broker) publishQueue(ctx context.Context, m *broker.Message) error {
	l := b.current()
	if l == nil {
		return fmt.Errorf("%w: not connected to RabbitMQ", broker.ErrUnavailable)
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.PublishTimeout)
	defer cancel()
	for try := 0; ; try++ {
		if err := b.declare(l, m.Destination); err != nil {
			return err
		}
		msgID := newMessageID()
		dc, err := l.pub.PublishWithDeferredConfirmWithContext(ctx, "", queueName(m.Destination), true, false, amqp.Publishing{
			Headers:      amqp.Table{hdrDestination: m.Destination, hdrHeaders: headerTable(m.Header)},
			ContentType:  m.Header.Get(frame.HdrContentType),
			DeliveryMode: amqp.Persistent,
			MessageId:    msgID,
			Body:         m.Body,
		})
		if err != nil {
			return fmt.Errorf("%w: publish: %v", broker.ErrUnavailable, err)
		}
		ok, err := dc.WaitContext(ctx)
		switch {
		case err != nil:
			return fmt.Errorf("%w: RabbitMQ did not confirm the message (%v)", broker.ErrUnavailable, err)
		case !ok:
			return fmt.Errorf("%w: RabbitMQ queue %s is at its limit (%d messages or %d bytes)", broker.ErrQueueFull, frame.Truncate(m.Destination), b.cfg.QueueMaxLength, b.cfg.QueueMaxBytes)
		case !b.wasReturned(l, msgID):
			return nil
		case try > 0:
			return fmt.Errorf("%w: RabbitMQ returned the message to %s as unroutable", broker.ErrUnavailable, frame.Truncate(m.Destination))
		}
		b.undeclare(l, m.Destination)
	}
}

// undeclare forgets that d was declared on l, so its next use declares it.
func (b *Broker) undeclare(l *link, d string) {
	l.dmu.Lock()
	delete(l.declared, d)
	l.dmu.Unlock()
}

// headerTable is a message's STOMP headers as AMQP carries them:
// [key, value, key, value...], so order and repeats survive.
func headerTable(h frame.Header) []any {
	kv := make([]any, 0, 2*len(h))
	for _, f := range h {
		kv = append(kv, string(f.Key), string(f.Value))
	}
	return kv
}
