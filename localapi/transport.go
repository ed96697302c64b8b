package localapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
)

// Transport hands requests straight to an http.Handler (the embedded API)
// in the same process: the UI still goes through genqlient and the API's
// HTTP handler, without a loopback socket in between.
type Transport struct{ Handler http.Handler }

// RoundTrip serves req with the handler and returns its buffered response.
func (t Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	w := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
	t.Handler.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), inProcessKey{}, true)))
	if req.Body != nil {
		req.Body.Close()
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	return &http.Response{
		Status:        http.StatusText(w.status),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.header,
		Body:          io.NopCloser(&w.body),
		ContentLength: int64(w.body.Len()),
		Request:       req,
	}, nil
}

type bufferedResponse struct {
	header      http.Header
	body        bytes.Buffer
	status      int
	wroteHeader bool
}

func (w *bufferedResponse) Header() http.Header { return w.header }

func (w *bufferedResponse) WriteHeader(status int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = status, true
	}
}

func (w *bufferedResponse) Write(p []byte) (int, error) {
	w.wroteHeader = true
	return w.body.Write(p)
}
