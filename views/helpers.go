package views

import (
	"strconv"

	"teamsecrets/rules"
)

func itoa(n int) string { return strconv.Itoa(n) }

// envVarExample is the variable that overrides a secret locally.
func envVarExample(name string) string {
	if name == "" {
		name = "<NAME>"
	}
	return rules.EnvVar(name)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func sortState(desc bool) string {
	if desc {
		return "descending"
	}
	return "ascending"
}

func sortArrow(desc bool) string {
	if desc {
		return "▼"
	}
	return "▲"
}
