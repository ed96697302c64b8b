package localapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	graphql "github.com/graph-gophers/graphql-go"
)

// MaxRequestBytes caps a GraphQL request body.
const MaxRequestBytes = 1 << 20

// Server answers the Cloud GraphQL API over HTTP.
type Server struct {
	schema *graphql.Schema
	store  *Store
	plain  plainNamesCache
}

// NewServer parses the schema (schema.graphql) and binds it to the store.
func NewServer(schemaSDL string, store *Store, version string) (*Server, error) {
	schema, err := graphql.ParseSchema(schemaSDL, &resolver{store: store, version: version},
		graphql.UseFieldResolvers(),
		graphql.MaxDepth(12),
		graphql.MaxQueryLength(64<<10),
	)
	if err != nil {
		return nil, fmt.Errorf("parse schema: %w", err)
	}
	return &Server{schema: schema, store: store}, nil
}

// request is a GraphQL POST body. Variables may be an object or, as the
// Prefect 1.x Python client sends them, a JSON-encoded string.
type request struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
}

func (r *request) variables() (map[string]interface{}, error) {
	raw := bytes.TrimSpace(r.Variables)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		raw = []byte(s)
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep large integers in JSON values exact
	var vars map[string]interface{}
	if err := dec.Decode(&vars); err != nil {
		return nil, err
	}
	return vars, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeErrors(w, http.StatusMethodNotAllowed, CodeBadUserInput, "Send GraphQL requests with POST")
		return
	}
	body := http.MaxBytesReader(w, r.Body, MaxRequestBytes)
	var req request
	dec := json.NewDecoder(body)
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeErrors(w, http.StatusRequestEntityTooLarge, CodeBadUserInput,
				fmt.Sprintf("Request body is larger than the %d MiB limit", MaxRequestBytes>>20))
			return
		}
		writeErrors(w, http.StatusBadRequest, CodeBadUserInput, "Request body must be JSON: {\"query\": ..., \"variables\": ...}")
		return
	}
	vars, err := req.variables()
	if err != nil {
		writeErrors(w, http.StatusBadRequest, CodeBadUserInput, "variables must be a JSON object")
		return
	}
	if req.Query == "" {
		writeErrors(w, http.StatusBadRequest, CodeBadUserInput, "query is required")
		return
	}
	c := &caller{
		store:        s.store,
		key:          bearerKey(r.Header.Get("Authorization")),
		tenantHeader: r.Header.Get("X-PREFECT-TENANT-ID"),
	}
	if len(vars) == 0 && s.plain.match(req.Query, req.OperationName) {
		s.serveSecretNames(r.Context(), w, c)
		return
	}
	resp := s.schema.Exec(withCaller(r.Context(), c), req.Query, req.OperationName, vars)
	out, err := json.Marshal(resp)
	if err != nil {
		writeErrors(w, http.StatusInternalServerError, CodeAPIError, "could not encode the response")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

// writeErrors sends a response that holds only GraphQL errors.
func writeErrors(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"errors": []any{map[string]any{"message": msg, "extensions": map[string]string{"code": code}}},
	})
}
