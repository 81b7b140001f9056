# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 chromium chromium-driver fonts-wqy-microhei gettext

.PHONY: run test system-packages venv lint messages prod-check audit worker beat serve bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $@

venv: $(VENV)/.installed

system-packages:
	@bash scripts/system-packages.sh $(APT_PACKAGES)

run: system-packages venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --base-url http://127.0.0.1:$(PORT)
	$(PY) manage.py make_signing_pair --if-missing
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: system-packages venv
	$(VENV)/bin/pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Each app's strings go to its own locale/ folder, the rest to ./locale; translate, then compile.
messages: venv
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore='.venv/*' --ignore='var/*' \
	  --ignore='bench/*' --ignore='tests/*' --ignore='*/tests/*' --ignore='test-artifacts/*'
	$(PY) manage.py compilemessages --ignore='.venv/*'

# Production: the deployment checklist with the production settings, and the migrations checks.
prod-check: venv
	DJANGO_SETTINGS_MODULE=docregistry.settings.production \
	  SECRET_KEY="$${SECRET_KEY:-prod-check-only-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(48))')}" \
	  ALLOWED_HOSTS="$${ALLOWED_HOSTS:-localhost}" \
	  $(PY) manage.py check --deploy --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run
	@if [ -n "$$DATABASE_URL" ]; then $(PY) manage.py migrate --check && echo "migrations: all applied"; fi

# Security: pip-audit on the pinned requirements (says so when the vulnerability service is unreachable)
# and the deployment checklist; exit 1 on a finding, 2 when the audit could not be done.
audit: venv
	VENV=$(VENV) bash scripts/audit.sh

worker: venv
	$(VENV)/bin/celery -A docregistry worker --loglevel INFO -Q $${CELERY_QUEUE:-celery}

beat: venv
	mkdir -p $${DOCREGISTRY_VAR_DIR:-var}
	$(VENV)/bin/celery -A docregistry beat --loglevel INFO --schedule $${DOCREGISTRY_VAR_DIR:-var}/celerybeat-schedule

serve: venv
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-docregistry.settings.production} $(PY) manage.py collectstatic --noinput -v0
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-docregistry.settings.production} PORT=$(PORT) \
	  $(VENV)/bin/gunicorn docregistry.wsgi -c deploy/gunicorn.conf.py

# Benchmarks (print numbers; not part of the tests).
bench: venv
	$(PY) bench/roster_import.py 100000
	$(PY) bench/review_form.py
	$(PY) bench/list_pages.py 20000  # SQLite; the 1 M figures need DATABASE_URL=postgres://…

clean:
	rm -rf $(VENV) var db.sqlite3
