// Package views renders pages with templ. Each page takes one view model,
// prepared by its handler; templates hold no logic beyond showing it.
package views

// Layout is what every page shows around its content.
type Layout struct {
	Title    string
	SignedIn bool
	User     string     // who is signed in: a username or "Team key"
	Team     TeamLink   // the current team; empty on pages outside a team
	Switcher bool       // show the team switcher: more than one team
	Teams    []TeamLink // the team switcher: the teams the session keeps
	AllTeams string     // URL of the page with every team, when Teams are not all
	CSRF     string     // token for the sign-out form
	Flash    Flash
	KeysURL  string // the API keys page of the current team; empty outside a team
	// HistoryURL is the current team's History page; empty outside a team
	// or against an API without the audit trail.
	HistoryURL string
}

// TeamLink is one entry of the team switcher.
type TeamLink struct {
	Name, Slug, URL string
	Current         bool
	ReadOnly        bool
}

// Flash is a one-time message after an action.
type Flash struct {
	Kind    string // "success", "info" or "error"
	Message string
}

// LoginPage is the sign-in form.
type LoginPage struct {
	Layout Layout
	CSRF   string
	Error  string // tied to the key field
	Notice string // e.g. "You signed out."
}

// SecretRow is one secret in the list.
type SecretRow struct {
	Name      string
	RotateURL string
	DeleteURL string
	// HistoryURL is the secret's history; empty against an API without the
	// audit trail.
	HistoryURL string
	NoEnvVar   bool // the name cannot be set with PREFECT__CONTEXT__SECRETS__<NAME>
	// With the API's list extension: when and by whom it was last written.
	Updated      string // relative: "3 days ago"; empty when not known
	UpdatedAt    string // RFC 3339 UTC, for <time datetime>
	UpdatedExact string // "2026-01-02 03:04:05 UTC", on hover
	UpdatedBy    string // may be empty
}

// SortOption is one choice of the list's order.
type SortOption struct {
	Value, Label string
	Selected     bool
}

// PageLink is a pagination or sort link.
type PageLink struct {
	Label, URL string
	Current    bool
}

// SecretListPage is the list of a team's secrets.
type SecretListPage struct {
	Layout   Layout
	ReadOnly bool
	NewURL   string
	Import   string // the Import page's URL
	ListURL  string // the list without search, sort or paging
	Query    string
	Sort     string // "name" or "-name"
	PerPage  int
	PerPages []int
	SortURL  string // toggles the sort order, keeping search and page size
	SortDesc bool
	// With the API's list extension: the Updated column and its order.
	HasMeta        bool
	ByUpdated      bool
	UpdatedSortURL string
	SortOptions    []SortOption
	PageLinks      []PageLink // numbered pages; a link without URL is a gap
	Total          int        // secrets in the team
	Matches        int        // secrets matching the search
	From, To       int        // 1-based range shown
	Page           int
	Pages          int
	PrevURL        string // empty on the first page
	NextURL        string // empty on the last page
	Rows           []SecretRow
}

// FieldErrors are form errors, each shown next to its field.
type FieldErrors struct {
	Form    string // about the whole submission (banner)
	Name    string
	Value   string
	NewName string
}

// Any reports whether there is any error.
func (e FieldErrors) Any() bool {
	return e.Form != "" || e.Name != "" || e.Value != "" || e.NewName != ""
}

// SecretFormPage adds a secret (or, with Rotate set, rotates one). The value
// field is always rendered empty.
type SecretFormPage struct {
	Layout          Layout
	CSRF            string
	Action          string // form action URL
	CancelURL       string
	Rotate          bool   // rotating an existing secret
	Name            string // add: the typed name; rotate: the secret's name
	NewName         string // rotate: optional new name
	ValueType       string // "text" or "json"
	ConfirmName     string // a name that exists and needs the overwrite box
	ExistsURL       string // add: where app.js asks whether a name exists
	Errors          FieldErrors
	NoEnvVarWarning bool // the (new) name has '-' or '.'
}

// NamePattern is the rule for new names (rules.ValidateName) as an HTML
// pattern, so the browser refuses a bad name before the value is sent and
// lost; the server checks again. NameRule says it in words, for the
// browser's message.
const (
	NamePattern = `[A-Za-z_][A-Za-z0-9_.\-]{0,254}`
	NameRule    = "1 to 255 letters, digits, _, - or ., starting with a letter or _"
)

// SecretDeletePage confirms a delete.
type SecretDeletePage struct {
	Layout    Layout
	CSRF      string
	Name      string
	Action    string
	CancelURL string
}

// TeamListPage lists every team of the signed-in key.
type TeamListPage struct {
	Layout Layout
	Teams  []TeamLink
}

// NoticePage reports a change that was made, when the flash message cannot
// travel to the next page in the session.
type NoticePage struct {
	Layout    Layout
	Heading   string
	Message   string
	Detail    string
	BackURL   string
	BackLabel string
}

// ErrorPage says what went wrong.
type ErrorPage struct {
	Layout     Layout
	Status     int
	Heading    string
	Message    string
	Detail     string // an extra sentence, e.g. both names exist after a failed rename
	BackURL    string
	BackLabel  string
	RetryAfter int // seconds, when known
}
