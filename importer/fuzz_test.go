package importer

import (
	"encoding/json"
	"errors"
	"regexp"
	"testing"

	"teamsecrets/rules"
)

// Only these words may describe a source that could not be read: none
// quotes the input.
var parseErrorRE = regexp.MustCompile(`^the TOML has no \[context\.secrets\] table$|^not valid (TOML|\.env)( at line \d+)?: (` +
	`(column \d+: )?check the quotes, brackets and '=' there|` +
	`the text could not be read as (TOML|KEY=value lines)|` +
	`a name may hold only letters, digits and '_', '\.', '-', and each line needs KEY=value|` +
	`a name cannot contain a space|` +
	`each line needs KEY=value, with nothing after a closing quote|` +
	`a '\$' reference cannot be read: put the value in single quotes|` +
	`a quoted value has no closing quote)$`)

// Nor may the reason an entry is invalid.
var invalidRE = regexp.MustCompile(`^(name is required|name is longer than 255 characters|` +
	`name must start with a letter or an underscore|name may contain only letters, digits, '_', '-' and '\.'|` +
	`name is not valid UTF-8|the value is larger than the 64 KiB limit|the value is not valid UTF-8 text|` +
	`TOML nan and inf have no JSON form|this kind of TOML value has no JSON form|` +
	`the value has \$NAME, \$\{NAME\} or \$\$, which .*)$`)

// Any input gives entries with valid JSON values within the limit and
// fixed-text reasons, or a fixed-text error: never a panic, never the input
// in a message.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"[context.secrets]\nA = \"x\"\nB = 1\nC = [1.5, {d = true}]\nD = 1979-05-27T07:32:00Z\n",
		"A=1\nexport B='two'\nC=\"th\\nree\" # c\nPREFECT__CONTEXT__SECRETS__D=$E\n",
		"[context.secrets\nA=\"",
		"A=\"unterminated\nB=1",
		"context.secrets.X = nan\n",
		"X=\xff\xfe\n",
		"\uFEFFK: v\r\nL=${K}\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []Format{FormatTOML, FormatDotEnv, FormatAuto} {
			entries, _, err := Parse(data, format, "")
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || !parseErrorRE.MatchString(err.Error()) {
					t.Fatalf("%s: error %q is not one of the fixed messages", format, err)
				}
				continue
			}
			for _, e := range entries {
				if e.Invalid != "" {
					if !invalidRE.MatchString(e.Invalid) || e.Value != nil {
						t.Fatalf("%s: reason %q", format, e.Invalid)
					}
					continue
				}
				if rules.ValidateName(e.Name) != nil {
					t.Fatalf("%s: name %q accepted", format, e.Name)
				}
				if !json.Valid(e.Value) || len(e.Value) > rules.MaxValueBytes {
					t.Fatalf("%s: value of %q is not valid JSON within the limit", format, e.Name)
				}
			}
		}
	})
}
