// Package static embeds the stylesheet and script and serves them under
// content-hashed names, so browsers may cache them for a year.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed *.css *.js
var files embed.FS

type asset struct {
	body        []byte
	contentType string
}

var (
	hashed = map[string]string{} // "app.css" -> "app.1a2b3c4d5e.css"
	served = map[string]asset{}  // "app.1a2b3c4d5e.css" -> content
)

func init() {
	entries, _ := fs.ReadDir(files, ".")
	for _, e := range entries {
		b, err := files.ReadFile(e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(e.Name())
		name := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:5]) + ext
		hashed[e.Name()] = name
		ct := "text/css; charset=utf-8"
		if ext == ".js" {
			ct = "text/javascript; charset=utf-8"
		}
		served[name] = asset{body: b, contentType: ct}
	}
}

// Prefix is where assets are served.
const Prefix = "/static/"

// Path returns the URL of an asset by its source name ("app.css").
func Path(name string) string {
	h, ok := hashed[name]
	if !ok {
		panic("static: no asset " + name)
	}
	return Prefix + h
}

// Handler serves hashed asset names with a one-year immutable cache.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := served[strings.TrimPrefix(r.URL.Path, Prefix)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", a.contentType)
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Write(a.body)
	})
}
