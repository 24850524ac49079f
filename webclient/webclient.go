package webclient

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var assets embed.FS

// Handler serves the web client at the root of its mount point.
func Handler() http.Handler {
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		panic("webclient: embedded assets missing: " + err.Error()) // init-time invariant
	}
	return http.FileServer(http.FS(sub))
}
