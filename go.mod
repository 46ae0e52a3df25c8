module github.com/stompbox/stompbox

go 1.26
