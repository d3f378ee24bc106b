package main

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestExampleConfig_EveryKey: configs/example.yaml documents every global
// key (it says so), with its default value.
func TestExampleConfig_EveryKey(t *testing.T) {
	data, err := os.ReadFile("../../configs/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultConfig()
	ct, dv, cv := reflect.TypeOf(Config{}), reflect.ValueOf(def).Elem(), reflect.ValueOf(cfg).Elem()
	for i := range ct.NumField() {
		f := ct.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if key == "" || key == "-" || key == "sites" { // the catalogue
			continue
		}
		if !regexp.MustCompile(`(?m)^` + key + `:`).Match(data) {
			t.Errorf("configs/example.yaml lacks the key %s", key)
			continue
		}
		switch {
		case key == "db", key == "user_agent", key == "schedule", key == "browser", f.Type.Kind() == reflect.Slice:
			continue // examples, not defaults
		}
		if !reflect.DeepEqual(cv.Field(i).Interface(), dv.Field(i).Interface()) {
			t.Errorf("configs/example.yaml: %s is %v, the default is %v", key, cv.Field(i).Interface(), dv.Field(i).Interface())
		}
	}
}
