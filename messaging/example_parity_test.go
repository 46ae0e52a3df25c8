package messaging_test

import (
	"context"
	"fmt"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/messaging"
	"github.com/stompbox/stompbox/server"
)

type ChatMessage struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// @MessageMapping("/rooms/{room}/chat") with @DestinationVariable and
// @SendTo("/topic/rooms.{room}").
func ExampleVar() {
	b := broker.NewMemory()
	r := messaging.NewRouter(messaging.Config{Broker: b})
	messaging.Handle(r, "/rooms/{room}/chat", func(ctx context.Context, m ChatMessage) (ChatMessage, error) {
		m.Content = "[" + messaging.Var(ctx, "room") + "] " + m.Content
		return m, nil
	}, messaging.SendTo("/topic/rooms.{room}"))

	ctx := context.Background()
	b.Subscribe(ctx, &broker.Subscription{ID: "0", Destination: "/topic/rooms.*", Subscriber: printer{}})
	r.HandleSend(ctx, broker.NewMessage("/app/rooms/lobby/chat", nil, []byte(`{"name":"홍길동","content":"안녕하세요."}`)))
	// Output:
	// /topic/rooms.lobby: {"name":"홍길동","content":"[lobby] 안녕하세요."}
}

// @SendToUser("/queue/reply"), and broadcast=false. Clients subscribe to
// /user/queue/reply; r.Users must be the server.
func ExampleSendToUser() {
	r := messaging.NewRouter(messaging.Config{Broker: broker.NewMemory()})
	messaging.Handle(r, "/whoami", func(ctx context.Context, _ string) (string, error) {
		s, _ := server.SessionFrom(ctx) // the Principal
		return s.User, nil
	}, messaging.SendToUser("/queue/reply"))
	messaging.Handle(r, "/ping", func(ctx context.Context, _ string) (string, error) {
		return "pong", nil
	}, messaging.SendToUser("/queue/reply", messaging.Broadcast(false)))
	srv := server.New(server.Config{App: r})
	r.Users = srv
}

// @SubscribeMapping("/rooms/{room}/info"): the reply goes to the
// subscriber alone, once.
func ExampleSubscribe() {
	r := messaging.NewRouter(messaging.Config{Broker: broker.NewMemory()})
	messaging.Subscribe(r, "/rooms/{room}/info", func(ctx context.Context) (map[string]string, error) {
		return map[string]string{"room": messaging.Var(ctx, "room"), "topic": "/topic/rooms." + messaging.Var(ctx, "room")}, nil
	})
	_, reply, _ := r.HandleSubscribe(context.Background(), "/app/rooms/lobby/info", nil)
	fmt.Println(string(reply.Body))
	// Output:
	// {"room":"lobby","topic":"/topic/rooms.lobby"}
}

// @MessageExceptionHandler with @SendToUser("/queue/errors"): return a
// messaging.Error and the sender gets it as JSON on /user/queue/errors.
func ExampleError() {
	r := messaging.NewRouter(messaging.Config{Broker: broker.NewMemory()})
	messaging.Handle(r, "/rooms/{room}/close", func(ctx context.Context, _ string) (string, error) {
		return "", &messaging.Error{Code: "forbidden", Message: "only the owner may close " + messaging.Var(ctx, "room")}
	})
}

// SimpMessagingTemplate.convertAndSendToUser, from anywhere.
func ExampleTemplate_PublishToUser() {
	b := broker.NewMemory()
	srv := server.New(server.Config{Broker: b})
	push := &messaging.Template{Broker: b, Users: srv}
	err := push.PublishToUser(context.Background(), "홍길동", "/queue/notice", map[string]string{"text": "새 메시지가 있습니다."},
		messaging.WithHeader("x-priority", "high"))
	fmt.Println(err) // nobody subscribed to /user/queue/notice: no error, nobody reached
	// Output:
	// <nil>
}
