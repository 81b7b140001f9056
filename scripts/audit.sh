#!/usr/bin/env bash
# make audit: known vulnerabilities in the pinned requirements (pip-audit) and Django's deployment checklist.
# pip-audit asks a vulnerability service (PyPI's JSON API by default) over the network; when it cannot be
# reached the script says so plainly and fails, instead of hanging or passing silently.
set -u
VENV=${VENV:-.venv}
status=0

echo "== pip-audit: requirements.txt (pinned versions, no resolution)"
out=$(mktemp)
timeout 180 "$VENV/bin/pip-audit" -r requirements.txt --no-deps --disable-pip --progress-spinner off --timeout 10 \
  >"$out" 2>&1
rc=$?
cat "$out"
pinned=$(grep -cE '^[^#[:space:]]+==' requirements.txt)
skipped=$(grep -c "could not be audited" "$out")
if [ $rc -eq 124 ]; then
  echo "pip-audit: NOT CHECKED — no answer from the vulnerability service within 180 s"; status=2
elif grep -qiE "connection|resolve|timed out|unreachable|Max retries|ServiceError|network" "$out" && [ $rc -ne 0 ] \
     && ! grep -qE "^Name +Version +ID" "$out"; then
  echo "pip-audit: NOT CHECKED — the vulnerability service could not be reached (see above)"; status=2
elif [ $rc -ne 0 ]; then
  echo "pip-audit: vulnerabilities found (see above)"; status=1
elif [ "$skipped" -ge "$pinned" ]; then
  echo "pip-audit: NOT CHECKED — the vulnerability service knew none of the $pinned packages (an index without"
  echo "  the vulnerability API, or no network); run it where PyPI (or -s osv) is reachable"; status=2
elif [ "$skipped" -gt 0 ]; then
  echo "pip-audit: no known vulnerabilities, but $skipped of $pinned packages could not be audited (see above)"
else
  echo "pip-audit: no known vulnerabilities"
fi
rm -f "$out"

echo "== Django check --deploy (production settings)"
DJANGO_SETTINGS_MODULE=docregistry.settings.production \
  SECRET_KEY="${SECRET_KEY:-audit-only-$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(48))')}" \
  ALLOWED_HOSTS="${ALLOWED_HOSTS:-localhost}" \
  "$VENV/bin/python" manage.py check --deploy --fail-level WARNING || status=1
exit $status
