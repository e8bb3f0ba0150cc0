package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// MaxBodyBytes is the largest request body a route takes, but for the
// bundle routes (MaxBundleBytes, for some roles: see bundleRoutes).
const MaxBodyBytes = 1 << 20

// UserHeader names the acting user when the handler has no Authenticator;
// with one, the user is the token's.
const UserHeader = "X-Gantry-User"

const anonymous = "anonymous"

func actor(r *http.Request) string {
	if p, ok := PrincipalFrom(r.Context()); ok {
		return p.User
	}
	if u := strings.TrimSpace(r.Header.Get(UserHeader)); u != "" {
		return u
	}
	return anonymous
}

// pathID reads the {id} path value, a positive integer.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, &FieldError{Field: "id", Msg: "must be a positive integer"}
	}
	return id, nil
}

// decodeBody decodes the JSON body into dst strictly: at most the route's
// limit (limitBody; over it is 413), Content-Type application/json, no
// unknown fields, one value, and no string a text column cannot hold
// (checkText). An empty body leaves dst alone unless required.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any, required bool) error {
	lim, ok := r.Context().Value(bodyLimitKey{}).(bodyLimit)
	if !ok {
		lim = bodyLimit{limit: MaxBodyBytes}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, lim.limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			lim.limit = min(lim.limit, tooBig.Limit)
			return &tooLargeError{msg: tooLargeMessage(lim)}
		}
		return fmt.Errorf("read body: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if required {
			return invalid("a JSON request body is required")
		}
		return nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return invalid("Content-Type must be application/json")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("request body must hold a single JSON value")
	}
	return checkText("", reflect.ValueOf(dst))
}

// jsonError turns a decoding error into a message about the request.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return invalid("malformed JSON at byte %d", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("malformed JSON: unexpected end")
	case errors.As(err, &typ):
		return &FieldError{Field: typ.Field, Msg: "must be " + jsonType(typ.Type.Kind().String())}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for this one.
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return &FieldError{Field: name, Msg: "unknown field"}
	}
	var perr *time.ParseError
	if errors.As(err, &perr) {
		return invalid("malformed JSON: times must be RFC 3339, like 2024-05-01T00:00:00Z")
	}
	// Remaining errors come from a field's UnmarshalJSON.
	return invalid("malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func jsonType(kind string) string {
	switch kind {
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	}
	if strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "uint") || strings.HasPrefix(kind, "float") {
		return "a number"
	}
	return "a " + kind
}

// invalid is an ErrInvalid with a message.
func invalid(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }
func (e *invalidError) Unwrap() error { return ErrInvalid }
