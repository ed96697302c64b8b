package handlers

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"teamsecrets/rules"
	"teamsecrets/views"
)

// secretSave adds a secret. A name that exists is replaced only with the
// explicit overwrite confirmation.
func (a *App) secretSave(c echo.Context) error {
	s, team := sessionOf(c), teamOf(c)
	f := newAddForm(c)
	if errs := f.Validate(); errs.Any() {
		return a.render(c, http.StatusUnprocessableEntity, views.SecretFormView(a.addPage(c, f, errs)))
	}
	ctx, cancel := a.apiContext(c.Request().Context(), s.APIKey, team.ID)
	defer cancel()
	if !f.Overwrite {
		exists, err := a.secretExists(ctx, f.Name)
		if err != nil {
			return a.addFailed(c, f, err)
		}
		if exists {
			// One question, in the confirmation box; it says the value
			// was not kept.
			p := a.addPage(c, f, views.FieldErrors{})
			p.ConfirmName = f.Name
			return a.render(c, http.StatusConflict, views.SecretFormView(p))
		}
	}
	if err := a.api.SetSecret(ctx, f.Name, f.Value.JSON); err != nil {
		return a.addFailed(c, f, err)
	}
	msg := fmt.Sprintf("Secret %s added.", f.Name)
	if f.Overwrite {
		msg = fmt.Sprintf("Secret %s saved.", f.Name)
	}
	if !rules.EnvOverridable(f.Name) {
		msg += " Its name has '-' or '.', so it cannot be overridden with a PREFECT__CONTEXT__SECRETS__ environment variable."
	}
	return a.wrote(c, "success", msg)
}

// secretExists asks the API whether the team has a secret by this name.
func (a *App) secretExists(ctx context.Context, name string) (bool, error) {
	names, err := a.api.SecretNames(ctx)
	if err != nil {
		return false, err
	}
	return slices.Contains(names, name), nil
}

// addFailed shows the add form again after a failed API call, saying what
// happened.
func (a *App) addFailed(c echo.Context, f addForm, err error) error {
	status, banner, ok := a.formError(c, err)
	if !ok {
		return err
	}
	return a.render(c, status, views.SecretFormView(a.addPage(c, f, views.FieldErrors{Form: banner})))
}
