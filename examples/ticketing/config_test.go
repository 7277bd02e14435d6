package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadConfigFileThenEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	src := `{"addr":"127.0.0.1:9000","store":"file.db","redmine":{"url":"http://redmine","api_key":"k","project":"ops"}}`
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path, []string{"REDMINE_PROJECT=infra", "HOOKGEN_SECRET_Token=s3cret", "TICKETING_BUTLER_TICKET_PER_EXECUTION=true"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9000" || c.Store != "file.db" || c.Redmine.Project != "infra" || c.Secrets["Token"] != "s3cret" || !c.ButlerTicketPerExecution {
		t.Fatalf("unexpected config %+v", c)
	}
}

func TestLoadConfigRequiresRedmine(t *testing.T) {
	if _, err := LoadConfig("", nil); err == nil {
		t.Fatal("a config without Redmine must be refused")
	}
	if _, err := LoadConfig("", []string{"REDMINE_URL=http://r", "REDMINE_API_KEY=k", "REDMINE_PROJECT=p", "REDMINE_TRACKER_ID=x"}); err == nil {
		t.Fatal("a non-numeric tracker id must be refused")
	}
}
