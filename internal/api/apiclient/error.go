package apiclient

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/gantryhq/gantry/internal/api"
)

// Error is a non-2xx answer from the server.
type Error struct {
	Status  int    // HTTP status
	Code    string // api.CodeInvalid, api.CodeNotFound, ...
	Message string // the server's explanation
	Field   string // the request field at fault, if any
}

// Error returns the server's message.
func (e *Error) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return http.StatusText(e.Status)
}

// errorBodyLimit caps how much of an error body is read.
const errorBodyLimit = 64 << 10

// responseError reads a failed response's body into an *Error. A body that
// is not the API's error shape (a proxy's page, say) becomes the message.
func responseError(resp *http.Response) *Error {
	e := &Error{Status: resp.StatusCode}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyLimit))
	var body api.ErrorBody
	if json.Unmarshal(data, &body) == nil && body.Error != "" {
		e.Code, e.Message, e.Field = body.Error, body.Message, body.Field
		return e
	}
	e.Message = strings.TrimSpace(string(data))
	if e.Message == "" {
		e.Message = resp.Status
	}
	return e
}
