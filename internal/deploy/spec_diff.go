package deploy

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gantryhq/gantry/internal/spec"
)

// skipFields are spec fields that are not content: where things were
// written, and what is derived from other fields. Defaults are merged into
// every task, so their changes show on the tasks.
var skipFields = map[string]bool{
	"File": true, "Positions": true, "Pos": true, "Location": true, "Defaults": true,
}

// fieldNames are the YAML names of fields whose Go names do not snake-case
// to them.
var fieldNames = map[string]string{"MilliCPU": "cpu", "Run": "run", "ID": "id"}

// l1Fields are the pipeline fields whose changes are L1: values, not
// behaviour.
var l1Fields = []string{"params", "environments", "description", "owner"}

// comparePipelines adds the differences between two parsed pipelines.
func comparePipelines(d *Diff, a, b *spec.Pipeline) {
	emit := func(p, old, new string) {
		d.add(pipelineClass(p), fmt.Sprintf("%s: %s → %s", p, old, new))
	}
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	for i := range va.NumField() {
		f := va.Type().Field(i)
		if skipFields[f.Name] || f.Name == "Tasks" {
			continue
		}
		diffValue(fieldName(f.Name), va.Field(i), vb.Field(i), emit)
	}
	compareTasks(d, a, b)
}

func pipelineClass(p string) string {
	top, _, _ := strings.Cut(p, ".")
	switch {
	case slices.Contains(l1Fields, top):
		return spec.RiskL1
	case strings.HasPrefix(p, "schedule.after"):
		return spec.RiskL3
	}
	return spec.RiskL2
}

// compareTasks matches tasks by id: added and removed tasks and changed
// needs are the DAG's shape (L3), env values L1, the rest L2.
func compareTasks(d *Diff, a, b *spec.Pipeline) {
	for _, t := range a.Tasks {
		if b.Task(t.ID) == nil {
			d.add(spec.RiskL3, fmt.Sprintf("task `%s` removed", t.ID))
		}
	}
	for i, t := range b.Tasks {
		old := a.Task(t.ID)
		if old == nil {
			d.add(spec.RiskL3, fmt.Sprintf("task `%s` added", t.ID))
			continue
		}
		prefix := fmt.Sprintf("tasks[%d]", i)
		diffValue(prefix, reflect.ValueOf(*old), reflect.ValueOf(t), func(p, o, n string) {
			class := spec.RiskL2
			switch field, _, _ := strings.Cut(strings.TrimPrefix(p, prefix+"."), "."); field {
			case "needs":
				class = spec.RiskL3
			case "env":
				class = spec.RiskL1
			}
			d.add(class, fmt.Sprintf("%s: %s → %s", p, o, n))
		})
	}
}

// diffValue calls emit for each leaf that differs between a and b, by
// field path. Slices of structs with a Name or ID are matched by it.
func diffValue(p string, a, b reflect.Value, emit func(path, old, new string)) {
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			f := a.Type().Field(i)
			if !f.IsExported() || skipFields[f.Name] {
				continue
			}
			diffValue(p+"."+fieldName(f.Name), a.Field(i), b.Field(i), emit)
		}
	case reflect.Pointer:
		switch {
		case a.IsNil() && b.IsNil():
		case a.IsNil() || b.IsNil():
			emit(p, format(p, a), format(p, b))
		default:
			diffValue(p, a.Elem(), b.Elem(), emit)
		}
	case reflect.Map:
		diffMap(p, a, b, emit)
	case reflect.Slice:
		if key := sliceKey(a.Type().Elem()); key != "" {
			diffKeyed(p, key, a, b, emit)
			return
		}
		fallthrough
	default:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			emit(p, format(p, a), format(p, b))
		}
	}
}

func diffMap(p string, a, b reflect.Value, emit func(path, old, new string)) {
	keys := map[string]reflect.Value{}
	for _, m := range []reflect.Value{a, b} {
		for _, k := range m.MapKeys() {
			keys[fmt.Sprint(k.Interface())] = k
		}
	}
	names := make([]string, 0, len(keys))
	for n := range keys {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		va, vb := a.MapIndex(keys[n]), b.MapIndex(keys[n])
		switch {
		case !va.IsValid():
			emit(p+"."+n, "(none)", format(p, vb))
		case !vb.IsValid():
			emit(p+"."+n, format(p, va), "(none)")
		default:
			diffValue(p+"."+n, va, vb, emit)
		}
	}
}

// sliceKey is the field that names a slice's struct elements: Name or ID.
func sliceKey(t reflect.Type) string {
	if t.Kind() != reflect.Struct {
		return ""
	}
	for _, k := range []string{"Name", "ID"} {
		if f, ok := t.FieldByName(k); ok && f.Type.Kind() == reflect.String {
			return k
		}
	}
	return ""
}

func diffKeyed(p, key string, a, b reflect.Value, emit func(path, old, new string)) {
	index := func(s reflect.Value) (map[string]reflect.Value, []string) {
		m := map[string]reflect.Value{}
		var order []string
		for i := range s.Len() {
			k := s.Index(i).FieldByName(key).String()
			m[k] = s.Index(i)
			order = append(order, k)
		}
		return m, order
	}
	ma, oa := index(a)
	mb, ob := index(b)
	for _, k := range oa {
		if _, ok := mb[k]; !ok {
			emit(p+"."+k, format(p, ma[k]), "(none)")
		}
	}
	for _, k := range ob {
		if va, ok := ma[k]; ok {
			diffValue(p+"."+k, va, mb[k], emit)
		} else {
			emit(p+"."+k, "(none)", format(p, mb[k]))
		}
	}
}

// format shows a value as in YAML, roughly: sizes and durations in their
// units, strings quoted, structs as {key: value}.
func format(p string, v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "(none)"
		}
		v = v.Elem()
	}
	switch {
	case v.Type() == reflect.TypeOf(time.Duration(0)):
		return shortDuration(time.Duration(v.Int()))
	case strings.HasSuffix(p, ".memory") && v.Kind() == reflect.Int64:
		return spec.FormatSize(v.Int())
	case strings.HasSuffix(p, ".cpu") && v.Kind() == reflect.Int64:
		return strconv.FormatInt(v.Int(), 10) + "m"
	}
	switch v.Kind() {
	case reflect.String:
		return strconv.Quote(v.String())
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range v.Len() {
			parts[i] = format(p, v.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Struct:
		var parts []string
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.IsExported() && !skipFields[f.Name] && !v.Field(i).IsZero() {
				name := fieldName(f.Name)
				parts = append(parts, name+": "+format(p+"."+name, v.Field(i)))
			}
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v.Interface())
}

// shortDuration drops the zero units time.Duration.String keeps: 10m, not
// 10m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// fieldName is the YAML name of a Go field: RowCounts → row_counts.
func fieldName(name string) string {
	if n, ok := fieldNames[name]; ok {
		return n
	}
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if i > 0 && (unicode.IsLower(rs[i-1]) || nextLower) {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
