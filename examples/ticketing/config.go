package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Config is the service's configuration: a JSON file (-config), then
// environment variables, which win.
type Config struct {
	// Addr is the listen address (TICKETING_ADDR).
	Addr string `json:"addr"`
	// Store is where the correlation store lives (TICKETING_STORE): a
	// postgres:// URL shared by every replica, or a bbolt file path.
	Store string `json:"store"`
	// DataDir holds the receivers' embedded idempotency stores, one file per
	// family (TICKETING_DATA_DIR). Each replica needs its own.
	DataDir string `json:"data_dir"`
	// Redmine is the tracker.
	Redmine RedmineConfig `json:"redmine"`
	// ButlerTicketPerExecution opens one ticket per failed reload execution
	// instead of one per task (TICKETING_BUTLER_TICKET_PER_EXECUTION).
	ButlerTicketPerExecution bool `json:"butler_ticket_per_execution"`
	// Secrets are the receivers' shared secrets by security scheme name
	// (HOOKGEN_SECRET_<SCHEME>).
	Secrets map[string]string `json:"secrets"`
}

// RedmineConfig locates the Redmine project tickets go to.
type RedmineConfig struct {
	URL            string `json:"url"`             // REDMINE_URL
	APIKey         string `json:"api_key"`         // REDMINE_API_KEY
	Project        string `json:"project"`         // REDMINE_PROJECT
	TrackerID      int    `json:"tracker_id"`      // REDMINE_TRACKER_ID
	ResolvedStatus string `json:"resolved_status"` // REDMINE_RESOLVED_STATUS
}

// LoadConfig reads path (when not empty), applies the environment from
// environ (KEY=VALUE strings, as os.Environ) and checks the result.
func LoadConfig(path string, environ []string) (Config, error) {
	c := Config{Addr: "127.0.0.1:8080", Store: "tickets.db", DataDir: ".", Secrets: map[string]string{}}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		if err := json.Unmarshal(b, &c); err != nil {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if c.Secrets == nil {
		c.Secrets = map[string]string{}
	}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if err := c.setEnv(k, v); err != nil {
			return Config{}, err
		}
	}
	if c.Redmine.URL == "" || c.Redmine.APIKey == "" || c.Redmine.Project == "" {
		return Config{}, errors.New("config: redmine url, api_key and project are required (REDMINE_URL, REDMINE_API_KEY, REDMINE_PROJECT)")
	}
	return c, nil
}

func (c *Config) setEnv(k, v string) error {
	var err error
	switch k {
	case "TICKETING_ADDR":
		c.Addr = v
	case "TICKETING_STORE":
		c.Store = v
	case "TICKETING_DATA_DIR":
		c.DataDir = v
	case "TICKETING_BUTLER_TICKET_PER_EXECUTION":
		c.ButlerTicketPerExecution, err = strconv.ParseBool(v)
	case "REDMINE_URL":
		c.Redmine.URL = v
	case "REDMINE_API_KEY":
		c.Redmine.APIKey = v
	case "REDMINE_PROJECT":
		c.Redmine.Project = v
	case "REDMINE_TRACKER_ID":
		c.Redmine.TrackerID, err = strconv.Atoi(v)
	case "REDMINE_RESOLVED_STATUS":
		c.Redmine.ResolvedStatus = v
	default:
		if scheme, ok := strings.CutPrefix(k, "HOOKGEN_SECRET_"); ok {
			c.Secrets[scheme] = v
		}
	}
	if err != nil {
		return fmt.Errorf("config: %s=%q: %w", k, v, err)
	}
	return nil
}
