module github.com/stompbox/stompbox

go 1.26

require (
	github.com/gobwas/ws v1.5.0
	go.uber.org/goleak v1.3.0
)

require github.com/gobwas/httphead v0.1.0 // indirect
