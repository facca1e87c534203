#!/usr/bin/env bash
# Installs the system libraries and fonts cxreport needs (Debian/Ubuntu), if any are missing.
# WeasyPrint needs Pango; libharfbuzz-subset0 keeps font embedding fast; the fonts are the
# families a project may choose (fonts-noto-cjk for Chinese reports); poppler-utils turns PDFs into
# PNGs for looking at pages; chromium runs the browser tests of the HTML report.
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig
          fonts-lato fonts-open-sans fonts-noto-core fonts-dejavu-core fonts-liberation2 fonts-roboto-unhinted
          fonts-noto-cjk poppler-utils chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "cxreport needs these system packages (or their equivalents): ${missing[*]}" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "Installing system packages: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
