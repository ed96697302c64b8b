package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"

	"teamsecrets/localapi/store"
	"teamsecrets/ratelimit"
	"teamsecrets/requestid"
)

// MaxRequestBytes caps a GraphQL request body.
const MaxRequestBytes = 1 << 20

// Server answers the Cloud GraphQL API over HTTP.
type Server struct {
	schema       *graphql.Schema
	values       *vault
	dir          store.Directory
	keys         store.Backend
	docs         docCache
	limits       Limits
	trustProxy   bool
	now          func() time.Time
	authFailures *ratelimit.Failures
	sharedLimits ratelimit.Shared // nil: failures counted in this process only
	refusals     refusalLog       // refused authentications recorded (audit.go)
	metrics      Metrics          // nil: nothing counted
	rootFields   map[string]bool
}

// Option changes how a Server works.
type Option func(*Server)

// WithLimits sets the request cost limits (zero fields keep their
// defaults).
func WithLimits(l Limits) Option { return func(s *Server) { s.limits = l } }

// WithTrustProxy counts failed authentications under the address in
// X-Forwarded-For (only behind a proxy you run, which sets it).
func WithTrustProxy(trust bool) Option { return func(s *Server) { s.trustProxy = trust } }

// WithClock sets the clock of the authentication limit and of key expiry
// (tests).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithSharedLimits counts failed authentications in sh as well, so that
// instances sharing a database refuse an address together.
func WithSharedLimits(sh ratelimit.Shared) Option {
	return func(s *Server) { s.sharedLimits = sh }
}

// NewServer parses the schema (schema.graphql, package schema's SDL) and
// binds it to the store.
func NewServer(schemaSDL string, st *Store, version string, opts ...Option) (*Server, error) {
	s := &Server{values: st.vault, dir: st.backend, keys: st.backend, limits: DefaultLimits()}
	for _, o := range opts {
		o(s)
	}
	s.limits = s.limits.withDefaults()
	s.authFailures = newAuthFailures(s.limits, s.now, s.sharedLimits)
	schema, err := graphql.ParseSchema(schemaSDL, &resolver{values: s.values, dir: s.dir, keys: s.keys, now: s.now, version: version, limits: s.limits},
		graphql.UseFieldResolvers(),
		graphql.MaxDepth(s.limits.MaxDepth),
		graphql.MaxQueryLength(s.limits.MaxQueryBytes),
		graphql.MaxSelections(s.limits.MaxFields),
		graphql.OverlapValidationLimit(s.limits.MaxOverlapPairs),
		graphql.Logger(newPanicLog()),
		graphql.PanicHandler(panicAsInternalError{}),
		// The schema is public (schema.graphql), but its answers are not
		// counted by the response budget: only callers with a key ask.
		graphql.RestrictIntrospection(func(ctx context.Context) bool {
			_, err := identify(ctx)
			return err == nil
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("parse schema: %w", err)
	}
	s.schema = schema
	s.rootFields = rootFieldNames(schema)
	return s, nil
}

// request is a GraphQL POST body. Variables may be an object or, as the
// Prefect 1.x Python client sends them, a JSON-encoded string.
type request struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
}

// variables returns each variable's JSON as sent, without building it:
// a document is measured first, and only a document within its limits
// has its variables decoded (decodeVariables).
func (r *request) variables() (map[string]json.RawMessage, error) {
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
	var vars map[string]json.RawMessage
	if err := json.Unmarshal(raw, &vars); err != nil {
		return nil, err
	}
	return vars, nil
}

// decodeVariables builds the values graphql-go takes.
func decodeVariables(raw map[string]json.RawMessage) (map[string]interface{}, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	vars := make(map[string]interface{}, len(raw))
	for name, r := range raw {
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.UseNumber() // keep large integers in JSON values exact
		var v interface{}
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		vars[name] = intVariable(v)
	}
	return vars, nil
}

// intVariable gives a whole number that fits an Int as the int32 graphql-go
// takes for Int arguments (a json.Number it refuses); the JSON scalar
// encodes it to the same text.
func intVariable(v interface{}) interface{} {
	if n, ok := v.(json.Number); ok {
		if i, err := strconv.ParseInt(string(n), 10, 32); err == nil && strconv.FormatInt(i, 10) == string(n) {
			return int32(i)
		}
	}
	return v
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	call := apiCall{op: OperationOther, outcome: OutcomeOK}
	if s.metrics == nil {
		s.serve(w, r, &call)
		return
	}
	start := time.Now()
	s.serve(w, r, &call)
	s.metrics.APICall(call.op, call.outcome, time.Since(start))
}

// serve answers one request, and says in call what it was and how it
// ended.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, call *apiCall) {
	info := s.requestInfo(r)
	r = r.WithContext(requestid.With(r.Context(), info))
	w.Header().Set(requestid.Header, info.ID)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		call.outcome = OutcomeInvalid
		writeErrors(w, http.StatusMethodNotAllowed, CodeBadUserInput, "Send GraphQL requests with POST")
		return
	}
	body := http.MaxBytesReader(w, r.Body, MaxRequestBytes)
	var req request
	dec := json.NewDecoder(body)
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			call.outcome = OutcomeRefused
			writeErrors(w, http.StatusRequestEntityTooLarge, CodeBadUserInput,
				fmt.Sprintf("Request body is larger than the %d MiB limit", MaxRequestBytes>>20))
			return
		}
		call.outcome = OutcomeInvalid
		writeErrors(w, http.StatusBadRequest, CodeBadUserInput, "Request body must be JSON: {\"query\": ..., \"variables\": ...}")
		return
	}
	rawVars, err := req.variables()
	if err != nil {
		call.outcome = OutcomeInvalid
		writeErrors(w, http.StatusBadRequest, CodeBadUserInput, "variables must be a JSON object")
		return
	}
	if req.Query == "" {
		call.outcome = OutcomeInvalid
		writeErrors(w, http.StatusBadRequest, CodeBadUserInput, "query is required")
		return
	}
	if len(req.Query) > s.limits.MaxQueryBytes {
		call.outcome = OutcomeRefused
		writeErrors(w, http.StatusBadRequest, CodeBadUserInput,
			fmt.Sprintf("Query too large: documents may be at most %d KiB", s.limits.MaxQueryBytes>>10))
		return
	}
	c := &caller{
		dir:          s.dir,
		keys:         s.keys,
		now:          s.now,
		key:          bearerKey(r.Header.Get("Authorization")),
		tenantHeader: r.Header.Get("X-PREFECT-TENANT-ID"),
	}
	// The document's time limit runs from here, over everything that may
	// wait for the store: the key's lookup, the fast paths, graphql-go. A
	// store that stops answering holds no request longer than this.
	ctx, cancel := context.WithTimeout(r.Context(), s.limits.Timeout)
	defer cancel()
	if !s.authenticate(ctx, w, r, c) {
		call.outcome = OutcomeRateLimited
		return
	}
	if ctx.Err() != nil {
		call.outcome = requestOver(ctx, w, r)
		return
	}
	doc := s.docs.get(req.Query)
	if doc == nil {
		var cerr *costError
		if doc, cerr = parseDocument(req.Query, s.limits); cerr != nil {
			call.outcome = cerr.outcome()
			writeErrors(w, http.StatusBadRequest, CodeBadUserInput, cerr.Error())
			return
		}
		s.docs.put(req.Query, doc)
	}
	if s.metrics != nil {
		call.op = operationLabel(doc, req.OperationName, s.rootFields)
	}
	if len(rawVars) == 0 && doc.isPlainNames(req.OperationName) {
		call.outcome = s.serveSecretNames(ctx, w, r, c)
		return
	}
	if cerr := doc.measure(s.limits, rawVars); cerr != nil {
		call.outcome = cerr.outcome()
		writeErrors(w, http.StatusBadRequest, CodeBadUserInput, cerr.Error())
		return
	}
	if doc.list != nil && doc.list.runs(req.OperationName) && s.serveListPage(ctx, r, w, c, doc.list, rawVars, call) {
		return
	}
	vars, err := decodeVariables(rawVars)
	if err != nil {
		call.outcome = OutcomeInvalid
		writeErrors(w, http.StatusBadRequest, CodeBadUserInput, "variables must be a JSON object")
		return
	}

	execCtx := ctx
	if doc.isMutation(req.OperationName) {
		// Not cut off by the deadline: each write checks it (startWrite).
		deadline, _ := ctx.Deadline()
		execCtx = withWriteDeadline(r.Context(), deadline, s.limits.Timeout)
	}
	b := &budget{limit: int64(s.limits.MaxResponseBytes)}
	resp := s.schema.Exec(withBudget(withCaller(execCtx, c), b), doc.text, req.OperationName, vars)
	switch {
	case r.Context().Err() != nil:
		call.outcome = OutcomeCanceled
		return // the client is gone
	case b.exceeded.Load():
		call.outcome = OutcomeRefused
		writeErrors(w, http.StatusBadRequest, CodeBadUserInput, errResponseTooLarge(b.limit).Error())
		return
	case execCtx.Err() != nil:
		// A query that ran out of time changed nothing: say so, alone.
		// (Mutations are not cut off this way; see startWrite.)
		call.outcome = requestOver(execCtx, w, r)
		return
	}
	codeValidationErrors(resp.Errors)
	call.outcome = errorsOutcome(resp.Errors)
	out, err := json.Marshal(resp)
	if err != nil {
		call.outcome = OutcomeError
		writeErrors(w, http.StatusInternalServerError, CodeAPIError, "could not encode the response")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

// requestOver answers a request whose context ended, and returns its
// outcome: nothing when the client is gone, else the time limit's error
// alone (400), since a query that ran out of time changed nothing.
func requestOver(ctx context.Context, w http.ResponseWriter, r *http.Request) string {
	if r.Context().Err() != nil {
		return OutcomeCanceled
	}
	writeErrors(w, http.StatusBadRequest, CodeBadUserInput, errRequestOver(ctx).Error())
	return OutcomeRefused
}

// codeValidationErrors gives graphql-go's own errors (syntax, validation,
// limits) the BAD_USER_INPUT code, so every error carries one.
func codeValidationErrors(errs []*gqlerrors.QueryError) {
	for _, e := range errs {
		if e.Extensions == nil {
			e.Extensions = map[string]any{"code": CodeBadUserInput}
		}
	}
}

// writeErrors sends a response that holds only GraphQL errors.
func writeErrors(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"errors": []any{map[string]any{"message": msg, "extensions": map[string]string{"code": code}}},
	})
}
