package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"teamsecrets/cloud"
	"teamsecrets/rules"
	"teamsecrets/views"
)

// secretSave adds a secret. A name that exists is replaced only with the
// explicit overwrite confirmation.
func (a *App) secretSave(c echo.Context) error {
	s, team := sessionOf(c), teamOf(c)
	f := newSecretForm(c)
	var errs views.FieldErrors
	errs.Name = nameError(f.Name)
	value, valueErr := f.encodeValue()
	errs.Value = valueErr
	if errs.Any() {
		return a.render(c, http.StatusUnprocessableEntity, views.SecretFormView(a.formPage(c, f, false, errs, "")))
	}
	ctx, cancel := a.apiContext(c.Request().Context(), s.APIKey, team.ID)
	defer cancel()
	if !f.Overwrite {
		exists, err := a.secretExists(ctx, f.Name)
		if err != nil {
			return a.formFailure(c, f, false, err)
		}
		if exists {
			errs.Form = fmt.Sprintf("A secret named %s already exists. To replace its value, confirm below.", f.Name)
			return a.render(c, http.StatusConflict, views.SecretFormView(a.formPage(c, f, false, errs, f.Name)))
		}
	}
	if err := a.api.SetSecret(ctx, f.Name, value); err != nil {
		return a.formFailure(c, f, false, err)
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

// formFailure re-renders a form after a failed API call with what happened;
// the value is never kept. Auth failures get their own pages.
func (a *App) formFailure(c echo.Context, f secretForm, rotate bool, err error) error {
	var apiErr *cloud.Error
	if !errors.As(err, &apiErr) || errors.Is(err, cloud.ErrUnauthenticated) ||
		errors.Is(err, cloud.ErrForbidden) || errors.Is(err, cloud.ErrNotFound) {
		return a.apiFailure(c, err)
	}
	var errs views.FieldErrors
	if errors.Is(err, cloud.ErrBadInput) {
		errs.Form = "The API refused the secret: " + apiErr.Message
	} else {
		a.log.WarnContext(c.Request().Context(), "api call failed",
			"route", c.Path(), "status", apiErr.Status, "attempts", apiErr.Attempts, "err", apiErr.Err)
		errs.Form = apiErr.Message + " Nothing was saved; try again in a moment."
		if apiErr.RetryAfter > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(apiErr.RetryAfter.Seconds())))
		}
	}
	return a.render(c, apiErr.Status, views.SecretFormView(a.formPage(c, f, rotate, errs, "")))
}
