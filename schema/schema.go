// Package schema holds the API contract, schema.graphql, for Go code: the
// local API server parses it (main), and tests start servers with it
// (localapi/apitest).
//
// The contract's one source is schema.graphql at the repository's top
// level: DESIGN.md puts it there, genqlient.yaml reads it there, and people
// read it there. Go's embed can reach neither a parent directory nor
// through a symlink, and a symlink the other way (the top-level file
// pointing here) would show readers on the web a path instead of the
// contract and break checkouts without symlinks. So this directory holds a
// byte-for-byte copy, treated like generated code: edit the top-level file,
// run `go generate ./schema`, commit both; TestCopyMatchesTopLevelSchema
// fails while they differ.
package schema

import _ "embed" // for SDL

//go:generate cp ../schema.graphql schema.graphql

// SDL is the text of schema.graphql.
//
//go:embed schema.graphql
var SDL string
