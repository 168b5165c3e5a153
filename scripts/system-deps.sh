#!/usr/bin/env bash
# Install the Debian packages `make test` needs, only those absent: PostgreSQL server (tests start their own
# cluster in a temp dir), Chromium + driver (browser tests), CJK fonts (Chinese screenshots and PDFs), Pango and
# HarfBuzz's subsetter (WeasyPrint's PDF output of the printable documents), node/npm when missing.
set -euo pipefail

want=(postgresql chromium chromium-driver fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
command -v npm >/dev/null 2>&1 || want+=(nodejs npm)

missing=()
for pkg in "${want[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system-deps: all present (${want[*]})"
  exit 0
fi

echo "system-deps: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "system-deps: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
# The server package's post-install creates a default cluster we do not use; tests run their own.
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
