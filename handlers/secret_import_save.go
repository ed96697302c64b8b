package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"teamsecrets/cloud"
	"teamsecrets/importer"
	"teamsecrets/views"
)

// MaxImportSecrets bounds one import through the page, so its writes and
// its result page stay well within the server's time and size.
const MaxImportSecrets = 5000

// importWriteTimeout bounds the writes of one import: many documents, each
// attempt bounded by the client's own limit, all finished before the
// server's 60 s write timeout.
const importWriteTimeout = 50 * time.Second

// importForm is the Import form, built from the request: a file or pasted
// text, its format, and what to do with names that exist.
type importForm struct {
	Data      []byte
	Filename  string // of the upload; "" for pasted text
	Format    importer.Format
	Overwrite bool
	TooLarge  bool
	hasFile   bool
	hasText   bool
}

func newImportForm(c echo.Context) importForm {
	f := importForm{Overwrite: c.FormValue("existing") == "replace"}
	switch format := importer.Format(c.FormValue("format")); format {
	case importer.FormatTOML, importer.FormatDotEnv:
		f.Format = format
	}
	text := c.FormValue("text")
	f.hasText = strings.TrimSpace(text) != ""
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		f.hasFile = true
		f.Filename = fh.Filename
		if fh.Size > MaxImportBytes {
			f.TooLarge = true
			return f
		}
		file, err := fh.Open()
		if err == nil {
			f.Data, _ = io.ReadAll(io.LimitReader(file, MaxImportBytes+1))
			file.Close()
		}
	} else if f.hasText {
		// Browsers send textarea line breaks as CRLF.
		f.Data = []byte(strings.ReplaceAll(text, "\r\n", "\n"))
	}
	f.TooLarge = len(f.Data) > MaxImportBytes
	return f
}

// Validate says what is wrong with the submission as a whole, or "".
func (f importForm) Validate() string {
	switch {
	case f.hasFile && f.hasText:
		return "Choose a file or paste the text, not both."
	case !f.hasFile && !f.hasText:
		return "Choose a file or paste the text to import."
	}
	return ""
}

// secretImportSave imports a file or pasted text into the team and lists
// each name's outcome. Values never go back to the browser or the log.
func (a *App) secretImportSave(c echo.Context) error {
	s, team := sessionOf(c), teamOf(c)
	f := newImportForm(c)
	if f.TooLarge {
		return a.importTooLarge(c)
	}
	if msg := f.Validate(); msg != "" {
		return a.render(c, http.StatusUnprocessableEntity, views.SecretImportView(a.importPage(c, f, msg)))
	}
	entries, format, err := importer.Parse(f.Data, f.Format, f.Filename)
	if err != nil {
		msg := "The secrets could not be read: " + err.Error() + "."
		return a.render(c, http.StatusUnprocessableEntity, views.SecretImportView(a.importPage(c, f, msg)))
	}
	if len(entries) == 0 {
		msg := "There are no secrets in it: no KEY=value lines."
		return a.render(c, http.StatusUnprocessableEntity, views.SecretImportView(a.importPage(c, f, msg)))
	}
	if len(entries) > MaxImportSecrets {
		msg := fmt.Sprintf("It holds %d secrets; one import takes at most %d. Split it, or use the teamsecrets import command.", len(entries), MaxImportSecrets)
		return a.render(c, http.StatusUnprocessableEntity, views.SecretImportView(a.importPage(c, f, msg)))
	}
	results, err := importer.Apply(c.Request().Context(), importWriter{a: a, key: s.APIKey, teamID: team.ID}, entries,
		importer.Options{Overwrite: f.Overwrite})
	if err != nil {
		return err
	}
	return a.importResults(c, results, format, f.Filename)
}

// importResults renders the outcome of each name. Its status is 200 when
// every write worked, else that of the first failure.
func (a *App) importResults(c echo.Context, results []importer.Result, format importer.Format, filename string) error {
	team := teamOf(c)
	sum := importer.Summarize(results)
	p := views.SecretImportResultPage{
		Layout:  a.layout(c, "Import results"),
		Summary: fmt.Sprintf("Imported into %s: %s.", team.Name, sum),
		Failed:  sum.Failed > 0,
		ListURL: listURL(team.Slug), ImportURL: importURL(team.Slug),
		Source: map[importer.Format]string{importer.FormatTOML: "the config.toml", importer.FormatDotEnv: "the .env text"}[format],
	}
	if filename != "" {
		p.Source = filename
	}
	var firstErr *cloud.Error
	for _, r := range results {
		row := views.ImportResultRow{Name: r.Name, Outcome: string(r.Outcome), Reason: r.Reason,
			Problem: r.Outcome == importer.Failed || r.Outcome == importer.Invalid}
		p.Rows = append(p.Rows, row)
		if r.Outcome == importer.Failed && firstErr == nil {
			errors.As(r.Err, &firstErr)
		}
	}
	status := http.StatusOK
	switch {
	case firstErr != nil:
		status = a.apiFailed(c, firstErr).status
		a.log.WarnContext(c.Request().Context(), "import writes failed", "route", c.Path(), "failed", sum.Failed)
		p.Summary += " Some secrets were not saved: see below, then import again (secrets that exist are skipped)."
	case sum.Failed > 0:
		status = http.StatusBadGateway
	}
	return a.render(c, status, views.SecretImportResultView(p))
}

// importWriter is the API an import writes through: the names call bounded
// like any page's calls, the writes together by importWriteTimeout.
type importWriter struct {
	a           *App
	key, teamID string
}

func (w importWriter) SecretNames(ctx context.Context) ([]string, error) {
	ctx, cancel := w.a.apiContext(ctx, w.key, w.teamID)
	defer cancel()
	return w.a.api.SecretNames(ctx)
}

func (w importWriter) SetSecrets(ctx context.Context, secrets []cloud.NamedValue) []error {
	ctx, cancel := context.WithTimeout(cloud.WithCredentials(ctx, w.key, w.teamID), importWriteTimeout)
	defer cancel()
	return w.a.api.SetSecrets(ctx, secrets)
}
