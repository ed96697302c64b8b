package handlers

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"teamsecrets/views"
)

// secretRotateSave stores a new value, one atomic set_secret. With a new
// name it sets the new name first and deletes the old one only after that
// worked, so a failure never loses the secret.
func (a *App) secretRotateSave(c echo.Context) error {
	s, team := sessionOf(c), teamOf(c)
	name, ok := nameParam(c)
	if !ok {
		return errBadName
	}
	f := newRotateForm(c, name)
	if errs := f.Validate(); errs.Any() {
		return a.render(c, http.StatusUnprocessableEntity, views.SecretFormView(a.rotatePage(c, f, errs)))
	}

	ctx, cancel := a.apiContext(c.Request().Context(), s.APIKey, team.ID)
	defer cancel()
	names, err := a.api.SecretNames(ctx)
	if err != nil {
		return a.rotateFailed(c, f, err)
	}
	if !slices.Contains(names, name) {
		return notFound("This team has no secret named " + name + ". It may have been deleted or renamed; nothing was saved.")
	}
	target := name
	if f.Rename() {
		target = f.NewName
		if slices.Contains(names, target) && !f.Overwrite {
			p := a.rotatePage(c, f, views.FieldErrors{})
			p.ConfirmName = target
			return a.render(c, http.StatusConflict, views.SecretFormView(p))
		}
	}
	if err := a.api.SetSecret(ctx, target, f.Value.JSON); err != nil {
		return a.rotateFailed(c, f, err)
	}
	msg := fmt.Sprintf("Secret %s rotated.", flashName(name))
	if f.Rename() {
		if _, err := a.api.DeleteSecret(ctx, name); err != nil {
			return a.renameHalfDone(c, name, target, err)
		}
		msg = fmt.Sprintf("Secret %s renamed to %s, with the new value.", flashName(name), flashName(target))
	}
	return a.wrote(c, "success", msg)
}

// rotateFailed shows the rotate form again after a failed API call, saying
// what happened.
func (a *App) rotateFailed(c echo.Context, f rotateForm, err error) error {
	status, banner, ok := a.formError(c, err)
	if !ok {
		return err
	}
	return a.render(c, status, views.SecretFormView(a.rotatePage(c, f, views.FieldErrors{Form: banner})))
}

// renameHalfDone says plainly that the new name was saved but the old one
// is still there.
func (a *App) renameHalfDone(c echo.Context, oldName, newName string, err error) error {
	f := a.apiFailed(c, err)
	if f.status < 500 {
		f.status = http.StatusBadGateway
	}
	return &pageError{
		Status: f.status, Heading: "Renamed, but the old name remains",
		Message: fmt.Sprintf("The new value was saved as %s, but %s could not be deleted: %s", newName, oldName, f.message),
		Detail:  fmt.Sprintf("Both names now exist. Delete %s when the API is available again.", oldName),
	}
}
