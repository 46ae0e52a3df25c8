package frame

// fixture is one frame on the wire and what it decodes to, shared by the
// decode, encode and fuzz tests.
type fixture struct {
	name    string
	ver     Version
	wire    string
	command string
	header  [][2]string
	body    string
	err     error // when the wire is invalid
}

var fixtures = []fixture{
	{name: "stompjs connect", ver: V1_2,
		wire:    "CONNECT\naccept-version:1.2,1.1,1.0\nheart-beat:10000,10000\n\n\x00",
		command: CONNECT, header: [][2]string{{"accept-version", "1.2,1.1,1.0"}, {"heart-beat", "10000,10000"}}},
	{name: "stompjs send with content-length", ver: V1_2,
		wire:    "SEND\ndestination:/app/hello\ncontent-length:20\n\n{\"name\":\"홍길동\"}\x00",
		command: SEND, header: [][2]string{{"destination", "/app/hello"}, {"content-length", "20"}}, body: `{"name":"홍길동"}`},
	{name: "crlf line endings", ver: V1_2,
		wire:    "SUBSCRIBE\r\nid:sub-0\r\ndestination:/topic/chat\r\n\r\n\x00",
		command: SUBSCRIBE, header: [][2]string{{"id", "sub-0"}, {"destination", "/topic/chat"}}},
	{name: "body with NULs by content-length", ver: V1_2,
		wire:    "SEND\ndestination:/topic/bin\ncontent-length:5\n\na\x00b\x00c\x00",
		command: SEND, header: [][2]string{{"destination", "/topic/bin"}, {"content-length", "5"}}, body: "a\x00b\x00c"},
	{name: "body to NUL without content-length", ver: V1_2,
		wire:    "SEND\ndestination:/topic/chat\n\nhello\x00",
		command: SEND, header: [][2]string{{"destination", "/topic/chat"}}, body: "hello"},
	{name: "repeated header kept in order", ver: V1_2,
		wire:    "MESSAGE\nfoo:first\nfoo:second\n\n\x00",
		command: MESSAGE, header: [][2]string{{"foo", "first"}, {"foo", "second"}}},
	{name: "1.2 escapes", ver: V1_2,
		wire:    "SEND\ndestination:/topic/x\nk\\cey:a\\nb\\\\c\\rd\\ce\n\n\x00",
		command: SEND, header: [][2]string{{"destination", "/topic/x"}, {"k:ey", "a\nb\\c\rd:e"}}},
	{name: "1.1 escapes", ver: V1_1,
		wire:    "SEND\ndestination:/topic/x\nk:a\\nb\\\\c\\cd\n\n\x00",
		command: SEND, header: [][2]string{{"destination", "/topic/x"}, {"k", "a\nb\\c:d"}}},
	{name: "1.1 has no \\r escape", ver: V1_1,
		wire: "SEND\nk:a\\rb\n\n\x00", err: ErrBadEscape},
	{name: "1.0 has no escapes", ver: V1_0,
		wire:    "SEND\ndestination:/topic/x\nk:a\\nb\\q\n\n\x00",
		command: SEND, header: [][2]string{{"destination", "/topic/x"}, {"k", "a\\nb\\q"}}},
	{name: "connect is never unescaped", ver: V1_2,
		wire:    "CONNECT\nlogin:a\\nb\npasscode:x:y\n\n\x00",
		command: CONNECT, header: [][2]string{{"login", "a\\nb"}, {"passcode", "x:y"}}},
	{name: "value keeps colons and spaces", ver: V1_2,
		wire:    "CONNECTED\nserver:stompbox/1 (x)\nsession: a:b \n\n\x00",
		command: CONNECTED, header: [][2]string{{"server", "stompbox/1 (x)"}, {"session", " a:b "}}},
	{name: "empty value", ver: V1_2,
		wire:    "SEND\nempty:\n\n\x00",
		command: SEND, header: [][2]string{{"empty", ""}}},
	{name: "undefined escape", ver: V1_2, wire: "SEND\nk:a\\tb\n\n\x00", err: ErrBadEscape},
	{name: "trailing backslash", ver: V1_2, wire: "SEND\nk:ab\\\n\n\x00", err: ErrBadEscape},
	{name: "unknown command", ver: V1_2, wire: "PUBLISH\n\n\x00", err: ErrUnknownCommand},
	{name: "lower-case command", ver: V1_2, wire: "send\n\n\x00", err: ErrUnknownCommand},
	{name: "header without colon", ver: V1_2, wire: "SEND\nnocolon\n\n\x00", err: ErrMalformedHeader},
	{name: "negative content-length", ver: V1_2, wire: "SEND\ncontent-length:-1\n\n\x00", err: ErrBadContentLength},
	{name: "non-numeric content-length", ver: V1_2, wire: "SEND\ncontent-length:12a\n\nxxxxxxxxxxxx\x00", err: ErrBadContentLength},
	{name: "huge content-length", ver: V1_2, wire: "SEND\ncontent-length:99999999999999999999\n\n", err: ErrBodyTooLarge},
	{name: "content-length over limit", ver: V1_2, wire: "SEND\ncontent-length:1048577\n\n", err: ErrBodyTooLarge},
	{name: "content-length without NUL", ver: V1_2, wire: "SEND\ncontent-length:2\n\nabc\x00", err: ErrMissingNUL},
}
