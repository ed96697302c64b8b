package handlers

import (
	"bytes"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"teamsecrets/views"
)

// MaxImportBytes caps the file or the pasted text of an import (the pages
// say "1 MiB"). Prefect config files and .env files are far smaller.
const MaxImportBytes = 1 << 20

// maxImportBody caps the whole upload: the file or text, plus the form's
// other fields and multipart framing.
const maxImportBody = MaxImportBytes + 64<<10

func importURL(slug string) string { return listURL(slug) + "/import" }

// secretImport shows the empty Import form.
func (a *App) secretImport(c echo.Context) error {
	return a.render(c, http.StatusOK, views.SecretImportView(a.importPage(c, importForm{}, "")))
}

// importPage is the Import form, with the choices of a failed submission
// kept and its text and file not.
func (a *App) importPage(c echo.Context, f importForm, errMsg string) views.SecretImportPage {
	team := teamOf(c)
	return views.SecretImportPage{
		Layout: a.layout(c, "Import secrets"), CSRF: a.csrfToken(c),
		Action: importURL(team.Slug), CancelURL: listURL(team.Slug),
		Format: string(f.Format), Overwrite: f.Overwrite, Error: errMsg, Limit: "1 MiB",
	}
}

// importBodyLimit reads an upload into memory, up to maxImportBody, before
// the CSRF check parses it: a larger one gets the 413 page, and multipart
// parsing never spills secrets into temporary files.
func (a *App) importBodyLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body == nil || r.Body == http.NoBody {
			return next(c)
		}
		if r.ContentLength > maxImportBody {
			return a.importTooLarge(c)
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxImportBody+1))
		if err != nil {
			return &pageError{Status: http.StatusBadRequest, Heading: http.StatusText(http.StatusBadRequest),
				Message: "The upload was cut off. Nothing was imported."}
		}
		if len(body) > maxImportBody {
			return a.importTooLarge(c)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		return next(c)
	}
}

// importTooLarge is the 413 page that says the limit. The rest of the body
// (up to a bound) is read first, so browsers show the page rather than a
// reset connection.
func (a *App) importTooLarge(c echo.Context) error {
	io.Copy(io.Discard, io.LimitReader(c.Request().Body, 8<<20))
	slug := c.Param("slug")
	p := &pageError{
		Status: http.StatusRequestEntityTooLarge, Title: "Too large", Heading: "Too large to import",
		Message:   "The file or pasted text may be at most 1 MiB (1,024 KiB). Nothing was imported.",
		Detail:    "Split it into smaller files, or use the teamsecrets import command.",
		BackURL:   importURL(slug),
		BackLabel: "Back to the Import page",
	}
	if slug == "" {
		p.BackURL, p.BackLabel = "/", "Back to the start"
	}
	return p
}
