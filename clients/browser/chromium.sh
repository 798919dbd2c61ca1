# Sourced by the browser checks: installs Debian's chromium (and a Japanese
# font, so that the screenshots show 札幌市 rather than boxes) if missing,
# checks that it starts, and installs playwright-core and axe-core (npm ci).
packages=()
[[ -x /usr/bin/chromium ]] || packages+=(chromium)
[[ -d /usr/share/fonts/opentype/ipafont-gothic ]] || packages+=(fonts-ipafont-gothic)
if (( ${#packages[@]} )); then
  echo "browser check: installing ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when they do not know chromium, or are too stale to fetch it.
  if ! apt-cache show chromium >/dev/null 2>&1 || [[ -z $(apt-cache policy chromium | awk '/Candidate:/ && $2 != "(none)"') ]]; then
    apt-get update
  fi
  if ! apt-get install -y "${packages[@]}"; then
    apt-get update
    apt-get install -y "${packages[@]}"
  fi
fi
# (Debian's launcher script prints a harmless "[: ...: unexpected operator" on some /dev/shm
# mounts; keep it out of the log unless chromium does not start at all.)
if ! version=$(/usr/bin/chromium --version 2>/dev/null); then
  echo "browser check: /usr/bin/chromium does not start:" >&2
  /usr/bin/chromium --version >&2 || true
  exit 1
fi
echo "browser check: using $version"

# playwright-core never downloads a browser; the variable is belt and braces.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
