package localapi

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
)

// JSON is the JSON scalar: any JSON value, kept as its encoding.
type JSON struct{ Raw json.RawMessage }

// ImplementsGraphQLType binds JSON to the schema's JSON scalar.
func (JSON) ImplementsGraphQLType(name string) bool { return name == "JSON" }

// UnmarshalGraphQL takes a value from variables or an inline literal.
func (j *JSON) UnmarshalGraphQL(input interface{}) error {
	raw, err := json.Marshal(input)
	if err != nil {
		return fmt.Errorf("JSON scalar: %w", err)
	}
	j.Raw = raw
	return nil
}

// MarshalJSON writes the stored encoding unchanged.
func (j JSON) MarshalJSON() ([]byte, error) {
	if len(j.Raw) == 0 {
		return []byte("null"), nil
	}
	return j.Raw, nil
}

// UUID is the UUID scalar.
type UUID string

// ImplementsGraphQLType binds UUID to the schema's UUID scalar.
func (UUID) ImplementsGraphQLType(name string) bool { return name == "UUID" }

// UnmarshalGraphQL accepts a UUID in any form uuid.Parse knows and keeps the
// canonical form.
func (u *UUID) UnmarshalGraphQL(input interface{}) error {
	s, ok := input.(string)
	if !ok {
		return fmt.Errorf("UUID must be a string")
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return fmt.Errorf("not a UUID")
	}
	*u = UUID(id.String())
	return nil
}

// MarshalJSON writes the UUID as a string.
func (u UUID) MarshalJSON() ([]byte, error) { return json.Marshal(string(u)) }

func optUUID(s string) *UUID {
	if s == "" {
		return nil
	}
	u := UUID(s)
	return &u
}
