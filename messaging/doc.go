// Package messaging is the application layer, like Spring's @MessageMapping
// and @SendTo: SEND frames to application destinations (by default under
// /app) reach typed Go handlers, and each handler's result is published to a
// broker destination.
//
//	r := messaging.NewRouter(messaging.Config{Broker: b})
//	messaging.Handle(r, "/hello", greet, messaging.SendTo("/topic/greetings"))
//
// A handler is a func(context.Context, In) (Out, error). The frame's body is
// decoded into In as JSON, unless In is []byte or string, which take the body
// as it is; Out is encoded the same way. Without SendTo, the result goes to
// "/topic" followed by the mapping's path, as in Spring.
//
// A [Template] publishes messages the server starts itself (pushes), from
// any goroutine, like Spring's SimpMessagingTemplate.
//
// A Router is safe for concurrent use once its handlers are registered;
// register them before the server starts.
package messaging
