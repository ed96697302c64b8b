package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/Khan/genqlient/graphql"
)

// NamedValue is one secret to write: its name and the JSON to store.
type NamedValue struct {
	Name  string
	Value json.RawMessage
}

// Batch sizes for SetSecrets. The local API takes requests of at most
// 1 MiB, documents of at most 64 KiB and 1,000 root fields; Prefect Cloud's
// limits are not published, so stay well inside these.
const (
	MaxBatchWrites     = 200       // set_secret fields in one document
	MaxBatchWriteBytes = 768 << 10 // names and values in one document
)

// ErrNotAttempted marks writes that were not sent because an earlier
// document of the same batch failed as a whole.
var ErrNotAttempted = &Error{Kind: ErrUnavailable,
	Message: "Not attempted: an earlier request to the secrets API failed.", Err: fmt.Errorf("not attempted")}

// SetSecrets writes secrets with as few documents as the limits allow, each
// a `mutation SetSecrets` of aliased set_secret fields. It returns one error
// per secret, nil for those written. When a document fails as a whole its
// secrets get that error, and later ones ErrNotAttempted: a write whose
// answer was lost may still have happened, and writing it again is safe.
func (c *Client) SetSecrets(ctx context.Context, secrets []NamedValue) []error {
	errs := make([]error, len(secrets))
	var stop error
	for start := 0; start < len(secrets); {
		end := writeBatchEnd(secrets, start)
		if stop != nil {
			for i := start; i < end; i++ {
				errs[i] = ErrNotAttempted
			}
			start = end
			continue
		}
		batch := secrets[start:end]
		data, fieldErrs, err := c.Aliased(ctx, "set secrets", true, setSecretsRequest(batch))
		for i := range batch {
			alias := fmt.Sprintf("s%d", i)
			switch {
			case err != nil:
				errs[start+i] = err
			case fieldErrs[alias] != nil:
				errs[start+i] = fieldErrs[alias]
			default:
				errs[start+i] = payloadOK("set secret", data[alias])
			}
		}
		stop = err
		start = end
	}
	return errs
}

// writeBatchEnd is the end of the document that starts at start: at most
// MaxBatchWrites secrets and MaxBatchWriteBytes of names and values, and
// never fewer than one secret.
func writeBatchEnd(secrets []NamedValue, start int) int {
	size := 0
	end := start
	for end < len(secrets) && end-start < MaxBatchWrites {
		n := len(secrets[end].Name) + len(secrets[end].Value)
		if end > start && size+n > MaxBatchWriteBytes {
			break
		}
		size += n
		end++
	}
	return end
}

// setSecretsRequest builds the document for one batch. Only aliases and
// variable names are written into its text; names and values are
// variables.
func setSecretsRequest(batch []NamedValue) *graphql.Request {
	var b strings.Builder
	vars := make(map[string]any, 2*len(batch))
	b.WriteString("mutation SetSecrets(")
	for i, s := range batch {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$n%d: String!, $v%d: JSON!", i, i)
		vars[fmt.Sprintf("n%d", i)] = s.Name
		vars[fmt.Sprintf("v%d", i)] = s.Value
	}
	b.WriteString(") {")
	for i := range batch {
		fmt.Fprintf(&b, "\n  s%d: set_secret(input: {name: $n%d, value: $v%d}) { success error }", i, i, i)
	}
	b.WriteString("\n}")
	return &graphql.Request{Query: b.String(), Variables: vars, OpName: "SetSecrets"}
}

// payloadOK checks one success_payload.
func payloadOK(op string, raw json.RawMessage) error {
	var p *struct {
		Success *bool   `json:"success"`
		Error   *string `json:"error"`
	}
	if err := json.Unmarshal(raw, &p); err != nil || p == nil {
		return payloadError(op, "")
	}
	if p.Success == nil || !*p.Success {
		msg := ""
		if p.Error != nil {
			msg = *p.Error
		}
		return payloadError(op, msg)
	}
	return nil
}
