package deploy

import (
	"net/url"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

// mount is one entry of a service's volumes: a named volume or a ./path,
// where it appears in the container, and whether it is read-only.
type mount struct {
	source, target string
	readOnly       bool
}

// mounts parses a service's short-syntax volumes.
func mounts(s service) []mount {
	var ms []mount
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			continue
		}
		ms = append(ms, mount{source: parts[0], target: parts[1], readOnly: len(parts) > 2 && parts[2] == "ro"})
	}
	return ms
}

// mountOf is the service's mount of source, if it has one.
func mountOf(s service, source string) (mount, bool) {
	i := slices.IndexFunc(mounts(s), func(m mount) bool { return m.source == source })
	if i < 0 {
		return mount{}, false
	}
	return mounts(s)[i], true
}

// mountedBy lists the services that mount source, each with its mount.
func mountedBy(c compose, source string) map[string]mount {
	by := map[string]mount{}
	for name, s := range c.Services {
		if m, ok := mountOf(s, source); ok {
			by[name] = m
		}
	}
	return by
}

// entrypoint is a service's entrypoint as one string.
func entrypoint(s service) string { return flatten(s.Entrypoint) }

// serviceURL parses a URL from a service's environment.
func serviceURL(t *testing.T, s service, name string) *url.URL {
	t.Helper()
	u, err := url.Parse(s.Environment[name])
	if err != nil || s.Environment[name] == "" {
		t.Fatalf("%s = %q: want a URL (%v)", name, s.Environment[name], err)
	}
	return u
}

// keygen runs a one-shot key service's script for real, with its volume
// (mounted at the path the script writes under) replaced by a temporary
// directory, and returns that directory and how to run the script again.
func keygen(t *testing.T, c compose, name, volume string) (dir string, run func() string) {
	t.Helper()
	gen := c.Services[name]
	m, ok := mountOf(gen, volume)
	if !ok || m.readOnly {
		t.Fatalf("%s must mount %s writable, volumes %v", name, volume, gen.Volumes)
	}
	dir = t.TempDir()
	script := strings.ReplaceAll(flatten(gen.Command), "$$", "$") // compose's escape of $
	script = strings.ReplaceAll(script, m.target+"/", dir+"/")
	if os.Geteuid() != 0 {
		// Giving the file to the image's user needs root, as in the container.
		script = strings.ReplaceAll(script, "chown ", "true ")
	}
	return dir, func() string {
		out, err := exec.Command("sh", "-c", script).CombinedOutput()
		if err != nil {
			t.Fatalf("%s's script: %v\n%s", name, err, out)
		}
		return string(out)
	}
}

// fileIn is the file a process reads at path, as found in dir, where the
// volume mounted at path's directory was put.
func fileIn(dir, p string) string { return dir + "/" + path.Base(p) }

// urlOf parses a URL found in a file, failing the test when it is none.
func urlOf(t *testing.T, where, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		t.Fatalf("%s: %q is not a URL (%v)", where, raw, err)
	}
	return u
}
