#!/usr/bin/env bash
# The CJK font the documents' charts are drawn with (services/projections/documents/charts.py).
#
#   infra/fonts.sh ensure   nothing when a CJK font charts.py knows is installed (or CHART_FONT names a file);
#                           else, as root, Debian's fonts-wqy-microhei (1.6 MB); not root: says what to run
#
# A missing font does not stop the system: the documents are written without their charts, and say so.
set -euo pipefail
INFRA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=infra/apt.sh
source "$INFRA/apt.sh"

# Keep in step with FONT_CANDIDATES in services/projections/documents/charts.py.
FONTS=(
  /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
  /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
  /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
  /usr/share/fonts/truetype/arphic/uming.ttc
)

ensure() {
  [[ -n "${CHART_FONT:-}" && -f "${CHART_FONT}" ]] && return 0
  local font
  for font in "${FONTS[@]}"; do [[ -f "$font" ]] && return 0; done
  apt_install fonts-wqy-microhei \
    || echo "warning: no CJK font: the work report's charts will not be drawn until fonts-wqy-microhei is installed" >&2
}

case "${1:-}" in
  ensure) ensure ;;
  *) echo "usage: $0 ensure" >&2; exit 2 ;;
esac
