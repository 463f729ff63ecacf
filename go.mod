module github.com/go-wrench/wrench

go 1.26.0

require (
	github.com/fsnotify/fsnotify v1.10.1
	github.com/juju/errors v1.0.0
	github.com/juju/loggo/v2 v2.2.0
	go.etcd.io/gofail v0.2.0
	golang.org/x/sys v0.50.0
	gopkg.in/check.v1 v1.0.0-20201130134442-10cb98267c6c
)

require (
	github.com/kr/pretty v0.2.1 // indirect
	github.com/kr/text v0.2.0 // indirect
)
