# shellcheck shell=sh
# The proxy's configuration from its one template (nginx.conf.template), for the local proxy (infra/proxy.sh)
# and the container (infra/proxy/container.sh): POSIX sh and sed, so the nginx image needs nothing more.
#
#   render_proxy_config TEMPLATE > nginx.conf
#
# Every @@NAME@@ in the template is replaced by the value of $PROXY_NAME, which must be set:
#   PROXY_LISTEN         address:port or port to listen on
#   PROXY_PID_FILE, PROXY_ERROR_LOG, PROXY_ACCESS_LOG, PROXY_TEMP_DIR
#   PROXY_STATIC_ROOT    the workbench's folder (workbench/dist) or the placeholder page's
#   PROXY_IDP_ORIGIN     the identity provider the workbench signs in with (Content-Security-Policy)
#   PROXY_INTAKE, PROXY_CASES, PROXY_ENFORCEMENT, PROXY_ACCOUNTABILITY, PROXY_PROJECTIONS   host:port of each
# A value holds no spaces, quotes or semicolons (nothing that could end a directive); a name left unset, or
# left in the output, is an error.

PROXY_TEMPLATE_NAMES="LISTEN PID_FILE ERROR_LOG ACCESS_LOG TEMP_DIR STATIC_ROOT IDP_ORIGIN
  INTAKE CASES ENFORCEMENT ACCOUNTABILITY PROJECTIONS"

render_proxy_config() {
  template="$1" script=""
  [ -f "$template" ] || { echo "render.sh: no template at $template" >&2; return 1; }
  for name in $PROXY_TEMPLATE_NAMES; do
    eval "value=\${PROXY_$name-}"
    if [ -z "$value" ]; then
      echo "render.sh: PROXY_$name is not set" >&2
      return 1
    fi
    case "$value" in
      *[!A-Za-z0-9._:/@-]*)
        echo "render.sh: PROXY_$name='$value' has a character nginx would not read as one word" \
          "(only letters, digits and . _ : / @ -; move the project to a path without spaces)" >&2
        return 1 ;;
    esac
    script="${script}s|@@${name}@@|${value}|g;"
  done
  rendered="$(sed "$script" "$template")" || return 1
  case "$rendered" in
    *@@*) echo "render.sh: $template has a @@NAME@@ that is not one of: $PROXY_TEMPLATE_NAMES" >&2; return 1 ;;
  esac
  printf '%s\n' "$rendered"
}
