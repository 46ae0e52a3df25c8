// Package chat is the seed's chat application on the messaging layer:
// /app/hello takes a GreetingMessage and announces it on /topic/greetings,
// /app/chat takes a ChatMessage and relays it on /topic/chat. Each handler
// logs what it received. Safe for concurrent use.
package chat
