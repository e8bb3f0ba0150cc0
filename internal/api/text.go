package api

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Every string a client sends may end up in a text column, and PostgreSQL
// refuses a NUL byte in text (SQLSTATE 22P05) and invalid UTF-8 (22021).
// Both are refused here, at the boundary, as a 400 naming the field,
// rather than as a 500 from the store after part of the work is done.

// checkText walks a decoded request body and refuses the first string, or
// map key, that a text column cannot hold. field is v's name in the
// request ("" for the body itself); nested names join with dots, as
// FieldError names them ("params.region", "bundles.files").
func checkText(field string, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return checkText(field, v.Elem())
		}
	case reflect.String:
		if msg := badText(v.String()); msg != "" {
			return &FieldError{Field: fieldName(field), Msg: msg}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if !sf.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			if err := checkText(join(field, name), v.Field(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := iter.Key()
			if k.Kind() == reflect.String {
				if msg := badText(k.String()); msg != "" {
					return &FieldError{Field: fieldName(field), Msg: "name " + shorten(k.String()) + " " + msg}
				}
			}
			if err := checkText(join(field, k.String()), iter.Value()); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if err := checkText(field, v.Index(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkURL refuses a request whose path, query or acting-user header holds
// what a text column cannot: a pipeline name, filter or actor goes to the
// store as it is.
func checkURL(r *http.Request) error {
	if msg := badText(r.URL.Path); msg != "" {
		return invalid("the request path %s", msg)
	}
	if msg := badText(r.Header.Get(UserHeader)); msg != "" {
		return invalid("header %s %s", UserHeader, msg)
	}
	for k, vs := range r.URL.Query() {
		if msg := badText(k); msg != "" {
			return invalid("query parameter name %s %s", shorten(k), msg)
		}
		for _, s := range vs {
			if msg := badText(s); msg != "" {
				return &FieldError{Field: k, Msg: msg}
			}
		}
	}
	return nil
}

// badText says what is wrong with s as text, or "".
func badText(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "holds a NUL byte (\\u0000), which is not allowed"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	}
	return ""
}

func join(field, name string) string {
	if field == "" {
		return name
	}
	return field + "." + name
}

func fieldName(field string) string {
	if field == "" {
		return "body"
	}
	return field
}

// shorten quotes s for a message, cut to a readable length.
func shorten(s string) string {
	const limit = 80
	if len(s) > limit {
		return strconv.Quote(s[:limit]) + "…"
	}
	return strconv.Quote(s)
}
